using Npgsql;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// The schema as sorted text lines, one per object and property, without OIDs: two databases with the
/// same schema give the same lines however their objects were created. Compared before a migration and
/// after its rollback. Catalog queries rather than pg_dump, so it also works on a --db-url server
/// without the client binaries of the right version.
/// </summary>
public sealed class SchemaSnapshot
{
    private const string UserSchemas = """
        n.nspname not in ('pg_catalog', 'information_schema', 'supabase_migrations')
        and n.nspname !~ '^pg_(toast|temp_)'
        """;

    private const string SelectLines = $"""
        select 'schema ' || n.nspname || ' owner=' || n.nspowner::regrole || ' acl=' || coalesce(n.nspacl::text, '')
               || ' comment=' || coalesce(d.description, '')
        from pg_namespace n
        -- comments by joins: obj_description() and col_description() run a query per row
        left join pg_description d on d.objoid = n.oid and d.classoid = 'pg_namespace'::regclass and d.objsubid = 0
        where {UserSchemas}
        union all
        select 'relation ' || n.nspname || '.' || c.relname || ' kind=' || c.relkind::text || ' rls=' || c.relrowsecurity
               || ' force_rls=' || c.relforcerowsecurity || ' owner=' || c.relowner::regrole
               || ' acl=' || coalesce(c.relacl::text, '') || ' options=' || coalesce(c.reloptions::text, '')
               || ' comment=' || coalesce(d.description, '')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        left join pg_description d on d.objoid = c.oid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
        where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f', 'c') and {UserSchemas}
        union all
        select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname
               || ' position=' || row_number() over (partition by a.attrelid order by a.attnum)
               || ' type=' || format_type(a.atttypid, a.atttypmod) || ' not_null=' || a.attnotnull
               || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' identity=' || a.attidentity::text
               || ' generated=' || a.attgenerated::text || ' acl=' || coalesce(a.attacl::text, '')
               || ' comment=' || coalesce(cd.description, '')
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        left join pg_description cd on cd.objoid = c.oid and cd.classoid = 'pg_class'::regclass and cd.objsubid = a.attnum
        where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c') and {UserSchemas}
        union all
        select 'constraint ' || n.nspname || '.' || coalesce(c.relname, format_type(co.contypid, null)) || '.' || co.conname
               || ' ' || pg_get_constraintdef(co.oid) || ' validated=' || co.convalidated
               || ' comment=' || coalesce(d.description, '')
        from pg_constraint co join pg_namespace n on n.oid = co.connamespace left join pg_class c on c.oid = co.conrelid
        left join pg_description d on d.objoid = co.oid and d.classoid = 'pg_constraint'::regclass and d.objsubid = 0
        where {UserSchemas}
        union all
        select 'index ' || pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid
               || ' comment=' || coalesce(d.description, '')
        from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_description d on d.objoid = i.indexrelid and d.classoid = 'pg_class'::regclass and d.objsubid = 0
        where {UserSchemas}
        union all
        select 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and {UserSchemas}
        union all
        select 'policy ' || n.nspname || '.' || c.relname || '.' || p.polname || ' cmd=' || p.polcmd::text
               || ' permissive=' || p.polpermissive
               || ' roles=' || array_to_string(array(select case when r = 0 then 'public' else r::regrole::text end
                                                      from unnest(p.polroles) r order by 1), ',')
               || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
               || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
        from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
        union all
        select 'function ' || p.oid::regprocedure::text || ' kind=' || p.prokind::text || ' definer=' || p.prosecdef
               || ' owner=' || p.proowner::regrole || ' acl=' || coalesce(p.proacl::text, '')
               || ' config=' || coalesce(p.proconfig::text, '')
               || ' body_md5=' || md5(case when p.prokind in ('f', 'p') then pg_get_functiondef(p.oid) else p.prosrc end)
               || ' comment=' || coalesce(d.description, '')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        left join pg_description d on d.objoid = p.oid and d.classoid = 'pg_proc'::regclass and d.objsubid = 0
        where {UserSchemas}
        union all
        select 'type ' || t.oid::regtype::text || ' kind=' || t.typtype::text
               || ' labels=' || coalesce((select string_agg(e.enumlabel, ',' order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid), '')
               || ' base=' || case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) else '' end
               || ' not_null=' || t.typnotnull || ' owner=' || t.typowner::regrole || ' acl=' || coalesce(t.typacl::text, '')
               || ' comment=' || coalesce(d.description, '')
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        left join pg_description d on d.objoid = t.oid and d.classoid = 'pg_type'::regclass and d.objsubid = 0
        where t.typtype in ('e', 'd', 'r', 'm') and {UserSchemas}
        union all
        select 'extension ' || e.extname || ' version=' || e.extversion || ' schema=' || e.extnamespace::regnamespace
        from pg_extension e
        union all
        select 'default_acl ' || d.defaclrole::regrole || ' schema=' || coalesce(d.defaclnamespace::regnamespace::text, '')
               || ' objtype=' || d.defaclobjtype::text || ' acl=' || d.defaclacl::text
        from pg_default_acl d
        """;

    public IReadOnlySet<string> Lines { get; }

    private SchemaSnapshot(IReadOnlySet<string> lines) => Lines = lines;

    /// <param name="prepare">Prepare the query on the session (the lint reads it twice a file on one pooled session).</param>
    public static async Task<SchemaSnapshot> ReadAsync(NpgsqlConnection connection, CancellationToken ct, bool prepare = false)
    {
        // Names print schema-qualified unless their schema is on the search_path: pin it, so that the snapshot before a
        // migration and the one after its rollback (replayed with Supabase's path, extensions included) compare equal.
        await using (var pin = new NpgsqlCommand("set search_path = pg_catalog", connection))
            await pin.ExecuteNonQueryAsync(ct);
        await using var command = new NpgsqlCommand(SelectLines, connection);
        if (prepare) await command.PrepareAsync(ct);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
            if (!reader.IsDBNull(0)) lines.Add(reader.GetString(0));
        return new SchemaSnapshot(lines);
    }

    /// <summary>This snapshot with more lines (e.g. rows of reference tables), compared like the catalog's.</summary>
    public SchemaSnapshot With(IEnumerable<string> lines) => new(new SortedSet<string>(Lines.Concat(lines), StringComparer.Ordinal));

    /// <summary>"- line" for what <paramref name="before"/> had and this lacks, "+ line" for what this has in addition.</summary>
    public IReadOnlyList<string> DifferencesFrom(SchemaSnapshot before) =>
        before.Lines.Except(Lines).Select(l => "- " + l)
            .Concat(Lines.Except(before.Lines).Select(l => "+ " + l))
            .OrderBy(l => l[2..], StringComparer.Ordinal)
            .ToList();
}
