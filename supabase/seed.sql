-- Local fixture data for MentorStatus (supabase db reset runs it after the migrations).
-- Runs on plain PostgreSQL with the platform layer and on a real Supabase database alike
-- (auth.users gets only id and email; every other column there has a default or is nullable).
-- The pgTAP tests do NOT depend on it: each test builds its own fixtures.
--
-- Fixed, readable UUIDs: 00000000-0000-4000-a00K-0000000000NN, K = kind:
--   a001 organisation, a002 chapter, a003 auth user, a004 peer mentor, a005 history record.
--
-- Who is who
-- ------------------------------------------------------------------------------------------------
-- Organisations
--   a001-...0001  Northshire Peer Support
--   a001-...0002  Southvale Peer Support
-- Chapters
--   a002-...0001  Northgate   (Northshire)  coordinated by Nora
--   a002-...0002  Riverside   (Northshire)  coordinated by Rami
--   a002-...0003  Hilltop     (Northshire)  NO active coordinator (Hugo's assignment is revoked)
--   a002-...0011  Harbour     (Southvale)   coordinated by Sara
--   a002-...0012  Meadow      (Southvale)   coordinated by Sara
-- Users (auth.users)                              role
--   a003-...0001  nora.coordinator@example.org   coordinator of Northgate
--   a003-...0002  rami.coordinator@example.org   coordinator of Riverside
--   a003-...0003  hugo.coordinator@example.org   former coordinator of Hilltop (revoked): no chapter
--   a003-...0004  sara.coordinator@example.org   coordinator of Harbour and Meadow
--   a003-...0011  alva.mentor@example.org        mentor Alva
--   a003-...0012  bo.mentor@example.org          mentor Bo
--   a003-...0013  cai.mentor@example.org         mentor Cai
--   a003-...0014  dara.mentor@example.org        mentor Dara
--   a003-...0015  eli.mentor@example.org         mentor Eli
--   a003-...0016  fen.mentor@example.org         mentor Fen
-- Peer mentors             user         chapters              status    certification expires
--   a004-...0001  Alva     a003-..0011  Northgate             active    now() + 200 days
--   a004-...0002  Bo       a003-..0012  Northgate, Riverside  active    now() - 3 days   (EXPIRED; two chapters,
--                                                                                         two coordinators)
--   a004-...0003  Cai      a003-..0013  Riverside             paused    now() + 90 days  (self_pause)
--   a004-...0004  Dara     a003-..0014  Hilltop               active    now() - 10 days  (EXPIRED; no coordinator)
--   a004-...0005  Eli      a003-..0015  Harbour               active    now() + 5 days   (expires soon)
--   a004-...0006  Fen      a003-..0016  Meadow                inactive  none             (coordinator_deactivate)
--   a004-...0007  Gus      no login     Harbour               active    now() - 1 day    (EXPIRED; no auth user)
-- History: an initial_status record (system, changed_by NULL) for every mentor, written by the insert
-- itself (trigger of migration 20261127100100, at created_at: 60 days ago); Cai's self_pause; Fen's
-- coordinator_deactivate by Sara. Every mentor starts active, and the two changes are appended as the
-- table owner may: the history record and the status in one statement.
--
-- The certification expiry job, run now, would pause Bo, Dara and Gus.

insert into public.organisations (id, name) values
    ('00000000-0000-4000-a001-000000000001', 'Northshire Peer Support'),
    ('00000000-0000-4000-a001-000000000002', 'Southvale Peer Support');

insert into public.chapters (id, organisation_id, name) values
    ('00000000-0000-4000-a002-000000000001', '00000000-0000-4000-a001-000000000001', 'Northgate'),
    ('00000000-0000-4000-a002-000000000002', '00000000-0000-4000-a001-000000000001', 'Riverside'),
    ('00000000-0000-4000-a002-000000000003', '00000000-0000-4000-a001-000000000001', 'Hilltop'),
    ('00000000-0000-4000-a002-000000000011', '00000000-0000-4000-a001-000000000002', 'Harbour'),
    ('00000000-0000-4000-a002-000000000012', '00000000-0000-4000-a001-000000000002', 'Meadow');

insert into auth.users (id, email) values
    ('00000000-0000-4000-a003-000000000001', 'nora.coordinator@example.org'),
    ('00000000-0000-4000-a003-000000000002', 'rami.coordinator@example.org'),
    ('00000000-0000-4000-a003-000000000003', 'hugo.coordinator@example.org'),
    ('00000000-0000-4000-a003-000000000004', 'sara.coordinator@example.org'),
    ('00000000-0000-4000-a003-000000000011', 'alva.mentor@example.org'),
    ('00000000-0000-4000-a003-000000000012', 'bo.mentor@example.org'),
    ('00000000-0000-4000-a003-000000000013', 'cai.mentor@example.org'),
    ('00000000-0000-4000-a003-000000000014', 'dara.mentor@example.org'),
    ('00000000-0000-4000-a003-000000000015', 'eli.mentor@example.org'),
    ('00000000-0000-4000-a003-000000000016', 'fen.mentor@example.org')
-- auth.users is the platform's, not a migration's: a reset that keeps the platform (`db reset --yes` on a database
-- given by URL) rolls the migrations back and seeds again, and finds these users still there.
on conflict (id) do nothing;

insert into public.coordinator_assignments (user_id, chapter_id, assigned_at, revoked_at) values
    ('00000000-0000-4000-a003-000000000001', '00000000-0000-4000-a002-000000000001', now() - interval '400 days', null),
    ('00000000-0000-4000-a003-000000000002', '00000000-0000-4000-a002-000000000002', now() - interval '300 days', null),
    ('00000000-0000-4000-a003-000000000003', '00000000-0000-4000-a002-000000000003', now() - interval '500 days', now() - interval '30 days'),
    ('00000000-0000-4000-a003-000000000004', '00000000-0000-4000-a002-000000000011', now() - interval '200 days', null),
    ('00000000-0000-4000-a003-000000000004', '00000000-0000-4000-a002-000000000012', now() - interval '200 days', null);

insert into public.peer_mentors
    (id, user_id, organisation_id, display_name, status, created_at, certification_expires_at)
values
    ('00000000-0000-4000-a004-000000000001', '00000000-0000-4000-a003-000000000011', '00000000-0000-4000-a001-000000000001',
     'Alva', 'active', now() - interval '60 days', now() + interval '200 days'),
    ('00000000-0000-4000-a004-000000000002', '00000000-0000-4000-a003-000000000012', '00000000-0000-4000-a001-000000000001',
     'Bo', 'active', now() - interval '60 days', now() - interval '3 days'),
    ('00000000-0000-4000-a004-000000000003', '00000000-0000-4000-a003-000000000013', '00000000-0000-4000-a001-000000000001',
     'Cai', 'active', now() - interval '60 days', now() + interval '90 days'),
    ('00000000-0000-4000-a004-000000000004', '00000000-0000-4000-a003-000000000014', '00000000-0000-4000-a001-000000000001',
     'Dara', 'active', now() - interval '60 days', now() - interval '10 days'),
    ('00000000-0000-4000-a004-000000000005', '00000000-0000-4000-a003-000000000015', '00000000-0000-4000-a001-000000000002',
     'Eli', 'active', now() - interval '60 days', now() + interval '5 days'),
    ('00000000-0000-4000-a004-000000000006', '00000000-0000-4000-a003-000000000016', '00000000-0000-4000-a001-000000000002',
     'Fen', 'active', now() - interval '60 days', null),
    ('00000000-0000-4000-a004-000000000007', null, '00000000-0000-4000-a001-000000000002',
     'Gus', 'active', now() - interval '60 days', now() - interval '1 day');

insert into public.chapter_memberships (mentor_id, chapter_id) values
    ('00000000-0000-4000-a004-000000000001', '00000000-0000-4000-a002-000000000001'),
    ('00000000-0000-4000-a004-000000000002', '00000000-0000-4000-a002-000000000001'),
    ('00000000-0000-4000-a004-000000000002', '00000000-0000-4000-a002-000000000002'),
    ('00000000-0000-4000-a004-000000000003', '00000000-0000-4000-a002-000000000002'),
    ('00000000-0000-4000-a004-000000000004', '00000000-0000-4000-a002-000000000003'),
    ('00000000-0000-4000-a004-000000000005', '00000000-0000-4000-a002-000000000011'),
    ('00000000-0000-4000-a004-000000000006', '00000000-0000-4000-a002-000000000012'),
    ('00000000-0000-4000-a004-000000000007', '00000000-0000-4000-a002-000000000011');

-- Each mentor's chain: initial_status (previous NULL, written by the insert above), then the changes,
-- previous_status of each record = new_status of the one before. The history record and the new
-- status in one statement: a status never changes without its record.
with changes (id, mentor_id, new_status, changed_by, changed_at, reason) as (
    values
        ('00000000-0000-4000-a005-000000000013'::uuid, '00000000-0000-4000-a004-000000000003'::uuid, 'paused'::public.mentor_status,
         '00000000-0000-4000-a003-000000000013'::uuid, now() - interval '7 days', 'self_pause'),
        ('00000000-0000-4000-a005-000000000016'::uuid, '00000000-0000-4000-a004-000000000006'::uuid, 'inactive'::public.mentor_status,
         '00000000-0000-4000-a003-000000000004'::uuid, now() - interval '20 days', 'coordinator_deactivate')
),
recorded as (
    insert into public.peer_mentor_status_history
        (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id)
    select c.id, c.mentor_id, m.status, c.new_status, c.changed_by, c.changed_at, c.reason, null
    from changes c
    join public.peer_mentors m on m.id = c.mentor_id
    returning mentor_id, new_status, changed_at
)
update public.peer_mentors m
set status = r.new_status,
    status_changed_at = r.changed_at
from recorded r
where m.id = r.mentor_id;
