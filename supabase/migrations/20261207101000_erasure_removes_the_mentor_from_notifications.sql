-- requires: 20261207100200
-- A hard delete of a mentor (right to erasure) removes the mentor's id from the notifications too.
--
-- coordinator_notifications and coordinator_inbox name mentors in mentor_ids and fallback_mentor_ids (uuid
-- arrays, no foreign key): after the history went by cascade, the id stayed there, in the outbox and in the
-- coordinator's in-app inbox. Now, in the statement that deletes the mentors, an AFTER DELETE statement trigger
-- on peer_mentors (transition table: every mentor that statement deleted, one pass however many) takes their ids
-- out of both arrays of both tables, in order; a notification or inbox row left naming nobody is deleted (its
-- arrays may not be empty, and a notification about nobody says nothing; deleting a notification takes its
-- deliveries and inbox row by cascade). Neither table has an append-only trigger.
-- A soft delete (deleted_at) is not an erasure and changes nothing here.
--
-- Test: supabase/tests/076_erasure_removes_the_mentor_from_notifications.sql.

set lock_timeout = '5s';

create function mentor_status_private.erase_mentors_from_notifications()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_erased uuid[];
begin
    -- Security definer: whoever may delete a mentor removes it from the notifications, which no API role writes.
    select pg_catalog.array_agg(e.id) into v_erased from erased e;
    if v_erased is null then
        return null;
    end if;

    -- naming only erased mentors: nothing left to say (the inbox row and the deliveries go by cascade)
    delete from public.coordinator_notifications n
    where n.mentor_ids operator(pg_catalog.<@) v_erased;
    delete from public.coordinator_inbox i
    where i.mentor_ids operator(pg_catalog.<@) v_erased;

    update public.coordinator_notifications n
    set mentor_ids = array(select u from pg_catalog.unnest(n.mentor_ids) with ordinality t(u, o)
                           where u operator(pg_catalog.<>) all (v_erased) order by o),
        fallback_mentor_ids = array(select u from pg_catalog.unnest(n.fallback_mentor_ids) with ordinality t(u, o)
                                    where u operator(pg_catalog.<>) all (v_erased) order by o),
        updated_at = pg_catalog.now()
    where n.mentor_ids operator(pg_catalog.&&) v_erased
       or n.fallback_mentor_ids operator(pg_catalog.&&) v_erased;

    update public.coordinator_inbox i
    set mentor_ids = array(select u from pg_catalog.unnest(i.mentor_ids) with ordinality t(u, o)
                           where u operator(pg_catalog.<>) all (v_erased) order by o),
        fallback_mentor_ids = array(select u from pg_catalog.unnest(i.fallback_mentor_ids) with ordinality t(u, o)
                                    where u operator(pg_catalog.<>) all (v_erased) order by o)
    where i.mentor_ids operator(pg_catalog.&&) v_erased
       or i.fallback_mentor_ids operator(pg_catalog.&&) v_erased;

    return null;
end;
$$;

comment on function mentor_status_private.erase_mentors_from_notifications() is
    'AFTER DELETE statement trigger of peer_mentors (transition table erased): takes the deleted mentors'' ids out '
    'of mentor_ids and fallback_mentor_ids of public.coordinator_notifications and public.coordinator_inbox, '
    'and deletes a row that would name nobody. Hard deletes only (right to erasure). Not callable directly.';

revoke all on function mentor_status_private.erase_mentors_from_notifications() from public, anon, authenticated, service_role;

create trigger peer_mentors_erase_from_notifications
    after delete on public.peer_mentors
    referencing old table as erased
    for each statement execute function mentor_status_private.erase_mentors_from_notifications();
