-- Rollback of 20261207100300_policies_bound_to_one_index.sql: the policies of 20261127105200, without the helper.
set lock_timeout = '5s';

alter policy chapters_select_member_or_coordinated on public.chapters
    using (
        id = any (array(select mentor_status_private.coordinated_chapter_ids()))
        or id = any (array(select mentor_status_private.member_chapter_ids()))
    );

alter policy chapter_memberships_select_own_or_coordinated on public.chapter_memberships
    using (
        mentor_id = any (array(select mentor_status_private.own_mentor_ids()))
        or (chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids()))
            and mentor_id = any (array(select mentor_status_private.coordinated_mentor_ids())))
    );

alter policy coordinator_assignments_select_own_or_co_coordinator on public.coordinator_assignments
    using (
        user_id = (select auth.uid())
        or chapter_id = any (array(select mentor_status_private.coordinated_chapter_ids()))
    );

drop function mentor_status_private.assigned_chapter_ids();
