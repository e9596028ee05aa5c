-- Rollback of 20261127105100_issue10_api_role_privileges: the API roles get back exactly the table
-- grants they held before (read from the private table the migration filled, in the same ACL
-- order) and Supabase's default privileges on public.

set lock_timeout = '5s';

do $restore_grants$
declare
    v_grant record;
begin
    for v_grant in
        select s.table_name, s.grantee, s.privileges
        from mentor_status_private.rollback_state_20261127105100 s
        where pg_catalog.to_regclass(s.table_name) is not null
        order by s.table_name, s.position
    loop
        execute pg_catalog.format('revoke all on table %s from %I', v_grant.table_name, v_grant.grantee);
        execute pg_catalog.format('grant %s on table %s to %I',
            pg_catalog.array_to_string(v_grant.privileges, ', '), v_grant.table_name, v_grant.grantee);
    end loop;
end
$restore_grants$;

drop table mentor_status_private.rollback_state_20261127105100;

alter default privileges for role postgres in schema public
    grant all on tables to anon, authenticated, service_role;
