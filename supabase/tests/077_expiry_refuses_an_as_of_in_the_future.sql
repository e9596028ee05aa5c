-- The certification-expiry job refuses an as-of in the future (MS400): the batch, the pg_cron procedure and the
-- recording of a run. A run dated in the future would pause certifications that have not expired yet.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

select plan(8);

insert into public.organisations (id, name) values ('00000000-0000-4000-d077-0000000000b1', 'Future as-of org');
insert into public.peer_mentors (id, organisation_id, display_name, certification_expires_at) values
    ('00000000-0000-4000-d077-0000000000d1', '00000000-0000-4000-d077-0000000000b1', 'Valid for a week', now() + interval '7 days');
insert into public.status_job_runs (id, job_name, as_of, batch_size) values
    ('00000000-0000-4000-d077-0000000000e1', 'certification_expiry', now(), 10);

select throws_ok(
    $$select * from mentor_status_private.pause_expired_certifications('00000000-0000-4000-d077-0000000000e1', now() + interval '30 days', 10, null, null)$$,
    'MS400', null, 'a batch as of a month ahead is refused');
select throws_ok(
    $$select * from mentor_status_private.pause_expired_certifications('00000000-0000-4000-d077-0000000000e1', now() + interval '30 days', 10)$$,
    'MS400', null, 'the three-argument batch too');
select is((select status::text from public.peer_mentors where id = '00000000-0000-4000-d077-0000000000d1'), 'active',
    'the mentor whose certification is valid for a week is still active');
select throws_ok(
    $$insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now() + interval '1 hour', 10)$$,
    'MS400', null, 'a run as of an hour ahead is not recorded');
select lives_ok(
    $$insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now() + interval '1 minute', 10)$$,
    'a minute ahead is within the clock difference allowed (5 minutes)');
select lives_ok(
    $$select * from mentor_status_private.pause_expired_certifications('00000000-0000-4000-d077-0000000000e1', now() - interval '1 day', 10, null, null)$$,
    'a batch as of the past runs');
select is((select status::text from public.peer_mentors where id = '00000000-0000-4000-d077-0000000000d1'), 'active',
    'and leaves the valid certification alone');
-- the pg_cron procedure (CALL with an as-of) fails the same way, before it records or commits anything
select throws_ok(
    $$call mentor_status_private.run_certification_expiry_job(now() + interval '30 days', 10)$$,
    'MS400', null, 'the pg_cron procedure refuses it before recording a run');

select * from finish();
rollback;
