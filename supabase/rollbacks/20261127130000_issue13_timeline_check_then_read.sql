-- Rollback of 20261127130000_issue13_timeline_check_then_read: the body and comment of
-- mentor_status_private.mentor_timeline as 20261127120020 wrote them (privileges were not changed).

set lock_timeout = '5s';

create or replace function mentor_status_private.mentor_timeline(
    p_mentor_id pg_catalog.uuid,
    p_before_changed_at pg_catalog.timestamptz,
    p_before_id pg_catalog.uuid,
    p_limit pg_catalog.int4)
returns setof public.peer_mentor_status_history
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_uid pg_catalog.uuid := auth.uid();
begin
    if p_limit is null or p_limit < 1 or p_limit > 1001 then
        raise exception 'mentor_timeline: p_limit must be between 1 and 1001, not %', coalesce(p_limit::pg_catalog.text, 'NULL')
            using errcode = '22023', hint = 'Ask for at most 1000 records a page (the repository asks for one more to know whether another page exists).';
    end if;
    if (p_before_changed_at is null) <> (p_before_id is null) then
        raise exception 'mentor_timeline: p_before_changed_at and p_before_id go together (the keyset cursor), got only one'
            using errcode = '22023', hint = 'Pass both from the last record of the previous page, or neither for the first page.';
    end if;
    -- One statement. The EXISTS names no column of the history, so the planner runs it once, before the
    -- scan, as a one-time filter: a mentor the caller may not see (or that does not exist) reads no
    -- history row, only the check's few index probes.
    return query
        select h.*
        from public.peer_mentor_status_history h
        where h.mentor_id = p_mentor_id
          -- keyset: strictly below the cursor; "changed_at <=" bounds the index range
          and h.changed_at <= coalesce(p_before_changed_at, 'infinity'::pg_catalog.timestamptz)
          and (p_before_changed_at is null or (h.changed_at, h.id) < (p_before_changed_at, p_before_id))
          -- the rule of visible_mentor_ids() (and so of the history's policy) for this one mentor: the
          -- caller's own mentor row or a mentor of a chapter they actively coordinate, never soft-deleted
          and exists (
              select 1
              from public.peer_mentors m
              where m.id = p_mentor_id
                and m.deleted_at is null
                and v_uid is not null
                and (m.user_id = v_uid
                     or exists (
                         select 1
                         from public.chapter_memberships cm
                         join public.coordinator_assignments ca on ca.chapter_id = cm.chapter_id
                         where cm.mentor_id = m.id
                           and ca.user_id = v_uid
                           and ca.revoked_at is null)))
        order by h.changed_at desc, h.id desc
        limit p_limit;
end;
$$;

comment on function mentor_status_private.mentor_timeline(pg_catalog.uuid, pg_catalog.timestamptz, pg_catalog.uuid, pg_catalog.int4) is
    'One page of a mentor''s history, newest first, for the current user: the history policy''s rule checked for '
    'this one mentor (a few index probes, once), then the keyset read on the timeline index (mentor_id, changed_at '
    'desc). Empty for a mentor the caller may not see. Its cost does not grow with the number of mentors the caller '
    'coordinates, as the policy''s array does.';
