update public.audit_log set note = 'redacted' where id = 1; -- expect: MS014
