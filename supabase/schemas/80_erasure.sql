-- Erasure (hard delete of a mentor)
--
-- Deleting a peer_mentors row is the right-to-erasure path: the history goes by cascade, a public.mentor_erasures
-- record says when, by whom, for which organisation and how many history rows went (nothing about the person), and the
-- mentor's id is taken out of the notifications. A soft delete (deleted_at) is not an erasure and changes neither.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

create or replace function mentor_status_private.record_mentor_erasure()
    returns trigger
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
begin
    -- BEFORE the row goes (the cascade to the history runs after it, so only now can the rows be counted); the
    -- row is already locked, so no change of this mentor commits in between. Security definer: whoever may
    -- delete a mentor writes the record, and no API role may write it otherwise.
    insert into public.mentor_erasures (erased_by, database_role, organisation_id, history_rows)
    select auth.uid(),
           coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text),
           old.organisation_id,
           (select pg_catalog.count(*) from public.peer_mentor_status_history h where h.mentor_id = old.id);
    return old;
end;
$function$;
comment on function mentor_status_private.record_mentor_erasure() is
    'BEFORE DELETE row trigger of peer_mentors: writes the public.mentor_erasures record (who, when, the '
    'organisation, how many history rows go). Not callable directly.';

create trigger peer_mentors_record_erasure
    before delete on public.peer_mentors
    for each row execute function mentor_status_private.record_mentor_erasure();


create or replace function mentor_status_private.erase_mentors_from_notifications()
    returns trigger
    language plpgsql
    security definer
    set search_path to 'pg_catalog', 'pg_temp'
as $function$
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
$function$;
comment on function mentor_status_private.erase_mentors_from_notifications() is
    'AFTER DELETE statement trigger of peer_mentors (transition table erased): takes the deleted '
    'mentors'' ids out of mentor_ids and fallback_mentor_ids of public.coordinator_notifications and '
    'public.coordinator_inbox, and deletes a row that would name nobody. Hard deletes only (right to '
    'erasure). Not callable directly.';

create trigger peer_mentors_erase_from_notifications
    after delete on public.peer_mentors
    referencing old table as erased
    for each statement execute function mentor_status_private.erase_mentors_from_notifications();


-- Erasure records are append-only (refuse_audit_change: 40_status_rules.sql) --------------------------------
create trigger mentor_erasures_append_only
    before delete or update on public.mentor_erasures
    for each row execute function mentor_status_private.refuse_audit_change();

create trigger mentor_erasures_no_truncate
    before truncate on public.mentor_erasures
    for each statement execute function mentor_status_private.refuse_audit_change();
