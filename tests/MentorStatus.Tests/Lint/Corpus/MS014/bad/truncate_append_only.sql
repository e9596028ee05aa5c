truncate table public.audit_log; -- expect: MS014
