using Npgsql;

namespace MentorStatus.Database.Security;

/// <summary>What <see cref="SecurityInvariants"/> checks against; <see cref="Default"/> describes this project.</summary>
public sealed record SecurityInvariantOptions
{
    /// <summary>Schemas PostgREST exposes (supabase/config.toml [api] schemas, plus graphql_public).</summary>
    public IReadOnlyList<string> ExposedSchemas { get; init; } = ["public", "graphql_public"];

    /// <summary>
    /// Security definer functions that may sit in an exposed schema because they are a deliberate
    /// rpc entry point, as regprocedure signatures with schema-qualified types.
    /// </summary>
    public IReadOnlyList<string> RpcEntryPoints { get; init; } = ["public.change_mentor_status(uuid, public.mentor_status, text)"];

    /// <summary>Tables the API roles may never write directly (no INSERT, UPDATE, DELETE, TRUNCATE).</summary>
    public IReadOnlyList<string> ApiWriteProtectedTables { get; init; } = ["public.peer_mentor_status_history"];

    /// <summary>Roles PostgREST switches to; none of them may write <see cref="ApiWriteProtectedTables"/>.</summary>
    public IReadOnlyList<string> ApiRoles { get; init; } = ["anon", "authenticated", "service_role"];

    /// <summary>Schemas of security definer helpers: anon must have no USAGE on them.</summary>
    public IReadOnlyList<string> PrivateSchemas { get; init; } = ["mentor_status_private"];

    /// <summary>
    /// Schemas that belong to the platform (Supabase services, extensions), not to the application:
    /// their functions and policies are not checked.
    /// </summary>
    public IReadOnlyList<string> PlatformSchemas { get; init; } =
    [
        "pg_catalog", "information_schema", "auth", "storage", "extensions", "graphql", "realtime", "_realtime",
        "vault", "pgsodium", "pgsodium_masks", "net", "supabase_functions", "supabase_migrations", "cron",
        "pgbouncer", "_analytics", "pgtle", "topology", "tiger", "tiger_data",
    ];

    public static SecurityInvariantOptions Default { get; } = new();
}

/// <summary>
/// The security rules the project checks on itself (issue 3), read from the catalog of a database:
/// every table in public has RLS; no policy calls auth.uid()/auth.jwt()/auth.role() unwrapped; every
/// security definer function has a fixed search_path and sits outside the exposed schemas (except the
/// rpc entry points); the API roles cannot write the history table directly; anon cannot use the
/// private helper schema. Views in exposed schemas must be security_invoker (a view runs with its
/// owner's rights and would bypass RLS).
/// </summary>
public static class SecurityInvariants
{
    /// <summary>Every violation, one readable line each ("rule: object ..."); empty when all rules hold.</summary>
    public static async Task<IReadOnlyList<string>> FindViolationsAsync(
        NpgsqlDataSource dataSource, SecurityInvariantOptions? options = null, CancellationToken ct = default)
    {
        options ??= SecurityInvariantOptions.Default;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var violations = new List<string>();

        // Deterministic names in the output, whatever the connection's search_path.
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await ExecuteAsync(connection, "set local search_path = pg_catalog", ct);

            violations.AddRange(await QueryAsync(connection, """
                select format('rls-disabled: table %I.%I has row-level security disabled', n.nspname, c.relname)
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
                order by 1
                """, ct));

            violations.AddRange(await QueryAsync(connection, """
                select format('policy-unwrapped-auth-call: policy %s on %I.%I calls %s without (select ...): %s',
                              p.policyname, p.schemaname, p.tablename,
                              (regexp_match(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                            '(?<!SELECT )(auth\.(uid|jwt|role)\(\))'))[1],
                              concat_ws(' / with check: ', p.qual, p.with_check))
                from pg_policies p
                where p.schemaname <> all (@platform)
                  and (coalesce(p.qual, '') ~ '(?<!SELECT )auth\.(uid|jwt|role)\(\)'
                       or coalesce(p.with_check, '') ~ '(?<!SELECT )auth\.(uid|jwt|role)\(\)')
                order by 1
                """, ct, ("platform", options.PlatformSchemas.ToArray())));

            // Functions of the application only: not the platform's schemas, not extension members.
            const string applicationDefiners = """
                from pg_proc p
                join pg_namespace n on n.oid = p.pronamespace
                where p.prosecdef
                  and n.nspname <> all (@platform)
                  and n.nspname not like 'pg\_%'
                  and not exists (select 1 from pg_depend d
                                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
                """;

            violations.AddRange(await QueryAsync(connection, $$"""
                select format('definer-without-search-path: security definer function %I.%I(%s) has no fixed search_path',
                              n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
                {{applicationDefiners}}
                  and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as s where s like 'search\_path=%')
                order by 1
                """, ct, ("platform", options.PlatformSchemas.ToArray())));

            violations.AddRange(await QueryAsync(connection, $$"""
                select format('definer-in-exposed-schema: security definer function %I.%I(%s) is in exposed schema %I and is not a documented rpc entry point',
                              n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), n.nspname)
                {{applicationDefiners}}
                  and n.nspname = any (@exposed)
                  and not exists (select 1 from unnest(@entry_points) as e where to_regprocedure(e) = p.oid)
                order by 1
                """, ct, ("platform", options.PlatformSchemas.ToArray()), ("exposed", options.ExposedSchemas.ToArray()),
                ("entry_points", options.RpcEntryPoints.ToArray())));

            violations.AddRange(await QueryAsync(connection, """
                select format('view-not-security-invoker: view %I.%I in an exposed schema runs with its owner''s rights (set security_invoker = true)',
                              n.nspname, c.relname)
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                where c.relkind = 'v'
                  and n.nspname = any (@exposed)
                  and not coalesce(c.reloptions @> array['security_invoker=true'] or c.reloptions @> array['security_invoker=on'], false)
                order by 1
                """, ct, ("exposed", options.ExposedSchemas.ToArray())));

            violations.AddRange(await QueryAsync(connection, """
                select distinct case
                           when to_regrole(r.role) is null then format('api-write: cannot check: role %s does not exist', r.role)
                           when to_regclass(t.name) is null then format('api-write: cannot check: table %s does not exist', t.name)
                           else format('api-write: role %s holds %s on %s', r.role,
                                       array_to_string(array(select priv from unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as priv
                                                             where has_table_privilege(r.role, to_regclass(t.name), priv)), ', '),
                                       t.name)
                       end
                from unnest(@tables) as t (name)
                cross join unnest(@roles) as r (role)
                where to_regrole(r.role) is null
                   or to_regclass(t.name) is null
                   or has_table_privilege(r.role, to_regclass(t.name), 'INSERT, UPDATE, DELETE, TRUNCATE')
                order by 1
                """, ct, ("tables", options.ApiWriteProtectedTables.ToArray()), ("roles", options.ApiRoles.ToArray())));

            violations.AddRange(await QueryAsync(connection, """
                select case
                           when to_regrole('anon') is null then 'private-schema: cannot check: role anon does not exist'
                           when to_regnamespace(s.name) is null then format('private-schema: cannot check: schema %I does not exist', s.name)
                           else format('private-schema: anon has USAGE on schema %I', s.name)
                       end
                from unnest(@schemas) as s (name)
                where to_regrole('anon') is null
                   or to_regnamespace(s.name) is null
                   or has_schema_privilege('anon', to_regnamespace(s.name), 'USAGE')
                order by 1
                """, ct, ("schemas", options.PrivateSchemas.ToArray())));

            violations.AddRange(await QueryAsync(connection, """
                select format('private-schema-exposed: schema %I is listed as exposed', s)
                from unnest(@private) as s
                where s = any (@exposed)
                """, ct, ("private", options.PrivateSchemas.ToArray()), ("exposed", options.ExposedSchemas.ToArray())));

            await tx.RollbackAsync(ct);
        }
        return violations;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<string>> QueryAsync(
        NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, string[] Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(ct)) rows.Add(reader.GetString(0));
        return rows;
    }
}
