-- Rollback of 20261127100000_issue10_status_rules.sql.
-- Refused (foreign key) while any history record uses coordinator_certification_override: such a record
-- is part of the audit trail and is not erased by a rollback.
drop function mentor_status_private.pause_cause(uuid, public.mentor_status);
drop table public.mentor_status_settings;
drop table public.mentor_status_rules;
delete from public.mentor_status_transitions where reason_code = 'coordinator_certification_override';
delete from public.mentor_status_reason_codes where code = 'coordinator_certification_override';
