-- Reference data
--
-- The rows the status rules are made of. They change only by migration (API roles read them, nobody writes them), so
-- they belong to the schema, not to the seed. The catalog check compares them too.
--
-- Part of the declarative schema: supabase/schemas/*.sql, applied in file-name order on top of the platform layer,
-- describe the database as the migrations leave it. Change the schema here, then `mentorstatus db diff -f NAME`
-- writes the migration and its rollback; CI fails when these files and the migrations disagree.

-- Reason codes: the only reasons a history record may carry -------------------------------------------------
insert into public.mentor_status_reason_codes (code, actor_kind, description) values
    ('certification_expired', 'system', 'The certification job paused the mentor because the certification expired.'),
    ('certification_renewed', 'system', 'The mentor was resumed because the certification was renewed.'),
    ('coordinator_certification_override', 'coordinator', 'A coordinator of one of the mentor''s chapters resumed a mentor whom the certification job had paused, without a renewed certification: an explicit override.'),
    ('coordinator_deactivate', 'coordinator', 'A coordinator of one of the mentor''s chapters made the mentor inactive.'),
    ('coordinator_manual_pause', 'coordinator', 'A coordinator of one of the mentor''s chapters paused the mentor.'),
    ('coordinator_reactivate', 'coordinator', 'A coordinator of one of the mentor''s chapters made an inactive mentor active again.'),
    ('coordinator_resume', 'coordinator', 'A coordinator of one of the mentor''s chapters resumed the mentor.'),
    ('initial_status', 'system', 'First history record of a mentor: the status the mentor started with.'),
    ('self_pause', 'mentor', 'The mentor paused themself.'),
    ('self_resume', 'mentor', 'The mentor resumed after pausing themself.');

-- Transitions: which reason moves which status to which -----------------------------------------------------
insert into public.mentor_status_transitions (reason_code, from_status, to_status) values
    ('certification_expired', 'active', 'paused'),
    ('certification_renewed', 'paused', 'active'),
    ('coordinator_certification_override', 'paused', 'active'),
    ('coordinator_deactivate', 'active', 'inactive'),
    ('coordinator_deactivate', 'paused', 'inactive'),
    ('coordinator_manual_pause', 'active', 'paused'),
    ('coordinator_reactivate', 'inactive', 'active'),
    ('coordinator_resume', 'paused', 'active'),
    ('initial_status', null, 'active'),
    ('initial_status', null, 'inactive'),
    ('initial_status', null, 'paused'),
    ('self_pause', 'active', 'paused'),
    ('self_resume', 'paused', 'active');

-- Rules: who may use a reason, by status and cause of the pause ---------------------------------------------
insert into public.mentor_status_rules (reason_code, from_status, pause_cause, to_status, actor, requires_valid_certification) values
    ('certification_expired', 'active', null, 'paused', 'system', false),
    ('certification_renewed', 'paused', 'certification_expired', 'active', 'system', true),
    ('coordinator_certification_override', 'paused', 'certification_expired', 'active', 'coordinator', false),
    ('coordinator_deactivate', 'active', null, 'inactive', 'coordinator', false),
    ('coordinator_deactivate', 'paused', 'certification_expired', 'inactive', 'coordinator', false),
    ('coordinator_deactivate', 'paused', 'coordinator_manual_pause', 'inactive', 'coordinator', false),
    ('coordinator_deactivate', 'paused', 'initial_status', 'inactive', 'coordinator', false),
    ('coordinator_deactivate', 'paused', 'self_pause', 'inactive', 'coordinator', false),
    ('coordinator_manual_pause', 'active', null, 'paused', 'coordinator', false),
    ('coordinator_reactivate', 'inactive', null, 'active', 'coordinator', false),
    ('coordinator_resume', 'paused', 'coordinator_manual_pause', 'active', 'coordinator', false),
    ('coordinator_resume', 'paused', 'initial_status', 'active', 'coordinator', false),
    ('coordinator_resume', 'paused', 'self_pause', 'active', 'coordinator', false),
    ('self_pause', 'active', null, 'paused', 'self', false),
    ('self_resume', 'paused', 'self_pause', 'active', 'self', false);

-- Settings: the rate limits (one row) -----------------------------------------------------------------------
insert into public.mentor_status_settings (singleton, self_change_limit, self_change_window, coordinator_change_limit, coordinator_change_window) values
    (true, 10, '24:00:00', 100, '01:00:00');
