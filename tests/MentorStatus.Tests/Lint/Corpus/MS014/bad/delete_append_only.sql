delete from public.audit_log where id = 1; -- expect: MS014
