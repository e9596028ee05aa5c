using static MentorStatus.Database.Security.CatalogQuery;

namespace MentorStatus.Database.Security;

/// <summary>
/// The rules of <c>db security</c>, modelled on Supabase's splinter lints (same names and levels where a
/// rule is one of them) plus the project's own (issue 10). Every rule reads the catalog; none names an
/// object of a particular project. The query shapes live in <see cref="CatalogQuery"/>: a rule here is its
/// id, level and title, the words and conditions of its query, and its fix.
/// </summary>
public static class SecurityRules
{
    public static readonly SecurityRule RlsDisabledInPublic = new(
        "rls_disabled_in_public", SecurityLevel.Error,
        "Table in an exposed schema with row-level security disabled",
        Relations("""
            format('table %I.%I in exposed schema %I has row-level security disabled: every API role with a grant reads and writes every row',
                   n.nspname, c.relname, n.nspname)
            """,
            IsTable, ExposedSchema, "not c.relrowsecurity", NotExtensionRelation),
        "alter table … enable row level security; then add a policy for what each API role may see.");

    public static readonly SecurityRule PolicyExistsRlsDisabled = new(
        "policy_exists_rls_disabled", SecurityLevel.Error,
        "Policy on a table whose row-level security is disabled",
        Policies("format('policy %I on %I.%I does nothing: the table has row-level security disabled', pol.polname, n.nspname, c.relname)",
            NoSubject,
            "not c.relrowsecurity", ApplicationSchema),
        "alter table … enable row level security (the policy was meant to apply), or drop the policy.");

    public static readonly SecurityRule RlsEnabledNoPolicy = new(
        "rls_enabled_no_policy", SecurityLevel.Info,
        "Table with row-level security enabled and no policy",
        Relations("""
            format('table %I.%I has row-level security enabled and no policy: anon and authenticated see no row (intended for tables only the backend reads)',
                   n.nspname, c.relname)
            """,
            IsTable, ExposedSchema, "c.relrowsecurity", "not exists (select 1 from pg_policy pol where pol.polrelid = c.oid)",
            NotExtensionRelation),
        "Nothing to do when only service_role or the owner should read it; otherwise add a policy.");

    public static readonly SecurityRule AuthRlsInitplan = new(
        "auth_rls_initplan", SecurityLevel.Warn,
        "Policy calls auth.uid() / auth.jwt() / auth.role() once per row",
        Policies("""
            format('policy %s on %I.%I calls auth functions without (select ...), once per row: %s',
                   pol.polname, n.nspname, c.relname,
                   concat_ws(' / with check: ', pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)))
            """,
            // the subject: the policy's expressions, for the wrapping check SQL cannot do
            "coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' ' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')",
            ApplicationSchema),
        "Write (select auth.uid()) instead of auth.uid(): PostgreSQL then computes it once per query (an InitPlan).",
        AuthCallWrapping.HasUnwrappedAuthCall);

    public static readonly SecurityRule FunctionSearchPathMutable = new(
        "function_search_path_mutable", SecurityLevel.Warn,
        "Function whose search_path the caller decides",
        Functions($"""
            format('%s %s has no search_path of its own: unqualified names in it resolve through the caller''s search_path',
                   case p.prokind when 'p' then 'procedure' else 'function' end, {FunctionName})
            """,
            ApplicationSchema, NotExtensionFunction,
            "not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as s where s like 'search\\_path=%')"),
        "alter function … set search_path = pg_catalog, pg_temp (and schema-qualify the names the body uses).");

    public static readonly SecurityRule DefinerSearchPathPgTempNotLast = new(
        "definer_search_path_pg_temp_not_last", SecurityLevel.Error,
        "Security definer function can be hijacked through the caller's pg_temp",
        Functions($$"""
            format('security definer function %s has search_path %s: PostgreSQL searches the caller''s pg_temp first for types and relations unless pg_temp is named last, so a caller''s temporary domain or table runs their code as the owner',
                   {{FunctionName}},
                   coalesce((select case when substr(s, 13) = '""' then ''''' (empty)' else '"' || substr(s, 13) || '"' end
                             from unnest(p.proconfig) as s where s like 'search\_path=%' limit 1), '(none: the caller''s)'))
            """,
            "p.prosecdef", ApplicationSchema, NotExtensionFunction,
            """
            not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as s
                                  where s ~ '^search_path=.*\mpg_temp"?\s*$')
            """),
        "alter function … set search_path = pg_catalog, pg_temp (pg_temp named last).");

    public static readonly SecurityRule AnonSecurityDefinerFunctionExecutable = new(
        "anon_security_definer_function_executable", SecurityLevel.Warn,
        "Security definer function in an exposed schema executable by anon",
        DefinerFunctionExposure("anon"),
        "Move it to a schema the API does not expose and call it from an invoker function, or revoke execute from anon and PUBLIC.");

    public static readonly SecurityRule AuthenticatedSecurityDefinerFunctionExecutable = new(
        "authenticated_security_definer_function_executable", SecurityLevel.Warn,
        "Security definer function in an exposed schema executable by authenticated",
        DefinerFunctionExposure("authenticated"),
        "Keep the rpc in the exposed schema as a security invoker function and move the privileged part to a definer helper in a private schema.");

    public static readonly SecurityRule SecurityDefinerView = new(
        "security_definer_view", SecurityLevel.Error,
        "View in an exposed schema that runs with its owner's rights",
        Relations("""
            format('view %I.%I in exposed schema %I runs with its owner''s rights, past the callers'' row-level security',
                   n.nspname, c.relname, n.nspname)
            """,
            "c.relkind = 'v'", ExposedSchema,
            "not coalesce(c.reloptions && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'], false)",
            NotExtensionRelation),
        "alter view … set (security_invoker = true).");

    public static readonly SecurityRule ExtensionInPublic = new(
        "extension_in_public", SecurityLevel.Warn,
        "Extension installed in schema public",
        """
        select e.extname::text as object,
               format('extension %I is installed in schema public: its functions and tables are exposed by the API', e.extname) as detail,
               null::text as comment, null::text as subject
        from pg_extension e
        where e.extnamespace = 'public'::regnamespace
        """,
        "Install it in schema extensions (create extension … with schema extensions; or alter extension … set schema extensions).");

    public static readonly SecurityRule ApiRoleExcessPrivilege = new(
        "api_role_excess_privilege", SecurityLevel.Error,
        "API role holds a table privilege the API does not need",
        $$"""
        with tables as (
            select c.oid, c.relkind, c.relrowsecurity, format('%I.%I', n.nspname, c.relname) as name
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where {{IsReadableRelation}}
              and {{ExposedSchema}}
              and {{NotExtensionRelation}}
        ),
        held as (
            select t.oid, t.name, r.rolname, priv,
                   case
                       when priv in ('TRUNCATE', 'TRIGGER', 'REFERENCES') then true
                       -- a role past RLS (service_role) needs no policy; a view has none
                       when r.rolbypassrls or t.relkind not in ('r', 'p') then false
                       else not exists (
                           select 1 from pg_policy pol
                           where pol.polrelid = t.oid
                             and pol.polpermissive
                             and pol.polcmd in ('*', case priv when 'SELECT' then 'r' when 'INSERT' then 'a' when 'UPDATE' then 'w' else 'd' end)
                             and (0::oid = any (pol.polroles) or r.oid = any (pol.polroles)))
                   end as excess
            from tables t
            cross join pg_roles r
            cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES']) as priv
            where r.rolname = any (@api_roles)
              and has_table_privilege(r.oid, t.oid, priv)
        )
        select h.name as object,
               format('role %s holds %s on %s, which no policy for it needs%s', h.rolname,
                      string_agg(h.priv, ', ' order by array_position(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'REFERENCES'], h.priv)),
                      h.name,
                      case when bool_or(h.priv in ('TRUNCATE', 'TRIGGER', 'REFERENCES'))
                           then ' (TRUNCATE skips row triggers, TRIGGER lets the role attach code to every write, REFERENCES lets it probe and pin rows)' else '' end) as detail,
               obj_description(h.oid, 'pg_class') as comment, null::text as subject
        from held h
        where h.excess
        group by h.oid, h.name, h.rolname
        """,
        "revoke … on table … from the role (and narrow `alter default privileges` so new tables do not get it again); grant only what a policy needs.");

    public static readonly SecurityRule AppendOnlyWritable = new(
        "append_only_writable", SecurityLevel.Error,
        "API role may write a table whose comment says it is append-only",
        $$"""
        select format('%I.%I', n.nspname, c.relname) as object,
               format('role %s holds %s on %I.%I, whose comment marks it append-only', r.rolname,
                      array_to_string(array(select priv from unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as priv
                                            where has_table_privilege(r.oid, c.oid, priv)), ', '),
                      n.nspname, c.relname) as detail,
               obj_description(c.oid, 'pg_class') as comment, null::text as subject
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        cross join pg_roles r
        where {{IsTable}}
          and {{ApplicationSchema}}
          and obj_description(c.oid, 'pg_class') ~* 'append[- ]only'
          and r.rolname = any (@api_roles)
          and has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
        """,
        "revoke insert, update, delete, truncate on the table from the API roles: writes go through a function that appends.");

    public static readonly SecurityRule PgGraphqlAnonTableExposed = new(
        "pg_graphql_anon_table_exposed", SecurityLevel.Warn,
        "Table in an exposed schema readable by anon",
        RelationExposure("anon", "SELECT", """
            format('anon may SELECT %I.%I: PostgREST serves it to anyone with the anon key and pg_graphql (on hosted Supabase) lists it in the anon GraphQL schema',
                   n.nspname, c.relname)
            """),
        "revoke select on the table from anon (and PUBLIC) unless signed-out visitors must read it.");

    public static readonly SecurityRule PgGraphqlAuthenticatedTableExposed = new(
        "pg_graphql_authenticated_table_exposed", SecurityLevel.Info,
        "Table in an exposed schema visible to authenticated in the GraphQL schema",
        RelationExposure("authenticated", "SELECT", """
            format('pg_graphql is installed and authenticated may SELECT %I.%I: every signed-in user sees its name and columns in the GraphQL schema (rows stay behind row-level security)',
                   n.nspname, c.relname)
            """,
            extraCondition: "exists (select 1 from pg_extension where extname = 'pg_graphql')"),
        "Expected for tables signed-in users read; revoke select from authenticated where the API never needs it.");

    public static readonly SecurityRule PrivateSchemaAnonUsage = new(
        "private_schema_anon_usage", SecurityLevel.Error,
        "anon may use a private schema of security definer functions",
        $$"""
        select n.nspname::text as object,
               format('anon has USAGE on schema %I, which holds security definer functions and is not exposed: anon needs nothing there', n.nspname) as detail,
               obj_description(n.oid, 'pg_namespace') as comment, null::text as subject
        from pg_namespace n
        where {{ApplicationSchema}}
          and n.nspname <> all (@exposed)
          and exists (select 1 from pg_proc p where p.pronamespace = n.oid and p.prosecdef)
          and {{RoleExists("anon")}}
          and has_schema_privilege('anon', n.oid, 'USAGE')
        """,
        "revoke usage on schema … from anon, public; grant it to the roles whose policies call its functions.");

    public static readonly SecurityRule MultiplePermissivePolicies = new(
        "multiple_permissive_policies", SecurityLevel.Warn,
        "Table with several permissive policies for the same role and command",
        $$"""
        select format('%I.%I', n.nspname, c.relname) as object,
               format('table %I.%I has permissive policies %s for the same role and command: PostgreSQL ORs them into one expression, evaluated for every row and with no single index condition',
                      n.nspname, c.relname, string_agg(distinct quote_ident(p1.polname), ', ')) as detail,
               obj_description(c.oid, 'pg_class') as comment, null::text as subject
        from pg_policy p1
        join pg_policy p2 on p2.polrelid = p1.polrelid and p2.oid <> p1.oid
        join pg_class c on c.oid = p1.polrelid
        join pg_namespace n on n.oid = c.relnamespace
        where {{ExposedSchema}}
          and {{NotExtensionRelation}}
          and p1.polpermissive and p2.polpermissive
          and (p1.polcmd = p2.polcmd or p1.polcmd = '*' or p2.polcmd = '*')
          and (0::oid = any (p1.polroles) or 0::oid = any (p2.polroles) or p1.polroles && p2.polroles)
        group by c.oid, n.nspname, c.relname
        """,
        "Merge them into one policy per role and command whose first conjunct is an index condition (column = any (array(select helper()))).");

    public static readonly SecurityRule PolicyOrNotIndexBound = new(
        "policy_or_not_index_bound", SecurityLevel.Warn,
        "Policy whose OR of membership tests no index can serve",
        Policies("""
            format('policy %s on %I.%I is an OR of membership tests with no condition an index can serve alone: a user who sees nothing makes an ordered query read and filter every row: %s',
                   pol.polname, n.nspname, c.relname, pg_get_expr(pol.polqual, pol.polrelid))
            """,
            "pg_get_expr(pol.polqual, pol.polrelid)",
            ExposedSchema, IsTable, "pol.polpermissive", "pol.polcmd in ('r', '*')", "pol.polqual is not null"),
        "Lead with one index condition: column = any (array(select helper())) over every row an arm allows (a union of the helpers), and keep the OR as a filter after AND.",
        PolicyIndexBinding.IsUnboundOr);

    /// <summary>Every rule, in report order.</summary>
    public static IReadOnlyList<SecurityRule> All { get; } =
    [
        RlsDisabledInPublic, PolicyExistsRlsDisabled, RlsEnabledNoPolicy, AuthRlsInitplan,
        FunctionSearchPathMutable, DefinerSearchPathPgTempNotLast,
        AnonSecurityDefinerFunctionExecutable, AuthenticatedSecurityDefinerFunctionExecutable,
        SecurityDefinerView, ExtensionInPublic, ApiRoleExcessPrivilege, AppendOnlyWritable,
        PgGraphqlAnonTableExposed, PgGraphqlAuthenticatedTableExposed, PrivateSchemaAnonUsage,
        MultiplePermissivePolicies, PolicyOrNotIndexBound,
    ];
}
