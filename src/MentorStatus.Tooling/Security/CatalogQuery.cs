namespace MentorStatus.Tooling.Security;

/// <summary>
/// The shapes of the <c>db security</c> rule queries. Every rule returns the four columns of
/// <see cref="SecurityRule"/> (object, detail, comment, subject) from one of a few catalog joins; a rule in
/// <see cref="SecurityRules"/> names only its conditions and its words, so the rule table stays data.
/// Aliases: <c>n</c> pg_namespace, <c>c</c> pg_class, <c>p</c> pg_proc, <c>pol</c> pg_policy.
/// </summary>
internal static class CatalogQuery
{
    // Conditions shared by the rules --------------------------------------------------------------------

    /// <summary>An application schema: not the platform's, not a system schema.</summary>
    public const string ApplicationSchema = "n.nspname <> all (@platform) and n.nspname not like 'pg\\_%'";

    /// <summary>A schema the API (PostgREST) exposes.</summary>
    public const string ExposedSchema = "n.nspname = any (@exposed)";

    /// <summary>c is a table (plain or partitioned).</summary>
    public const string IsTable = "c.relkind in ('r', 'p')";

    /// <summary>c is anything the API can read from: table, view, materialized view, foreign table.</summary>
    public const string IsReadableRelation = "c.relkind in ('r', 'p', 'v', 'm', 'f')";

    /// <summary>p (pg_proc) is not a member of an extension.</summary>
    public const string NotExtensionFunction =
        "not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')";

    /// <summary>c (pg_class) is not a member of an extension.</summary>
    public const string NotExtensionRelation =
        "not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')";

    /// <summary>p's name as <c>schema.name(arguments)</c>, quoted where needed.</summary>
    public const string FunctionName = "format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))";

    /// <summary>The role exists: a database without the Supabase roles is not an error (has_*_privilege would raise).</summary>
    public static string RoleExists(string role) => $"to_regrole('{role}') is not null";

    // Query shapes -----------------------------------------------------------------------------------------

    /// <summary>One row per relation <c>c</c> in schema <c>n</c> that meets every condition.</summary>
    public static string Relations(string detail, params string[] conditions) =>
        Select(RelationName, detail, RelationComment, NoSubject,
            "pg_class c\njoin pg_namespace n on n.oid = c.relnamespace", conditions);

    /// <summary>One row per policy <c>pol</c> on relation <c>c</c> that meets every condition; the row names the relation.</summary>
    public static string Policies(string detail, string subject, params string[] conditions) =>
        Select(RelationName, detail, RelationComment, subject,
            "pg_policy pol\njoin pg_class c on c.oid = pol.polrelid\njoin pg_namespace n on n.oid = c.relnamespace", conditions);

    /// <summary>One row per function or procedure <c>p</c> in schema <c>n</c> that meets every condition.</summary>
    public static string Functions(string detail, params string[] conditions) =>
        Select(FunctionName, detail, "obj_description(p.oid, 'pg_proc')", NoSubject,
            "pg_proc p\njoin pg_namespace n on n.oid = p.pronamespace", conditions);

    /// <summary>
    /// Relations of the exposed schemas (not an extension's) on which <paramref name="role"/> holds
    /// <paramref name="privilege"/>, when <paramref name="extraCondition"/> (if any) holds too.
    /// </summary>
    public static string RelationExposure(string role, string privilege, string detail, string? extraCondition = null) =>
        Relations(detail,
        [
            IsReadableRelation, ExposedSchema, NotExtensionRelation,
            .. extraCondition is null ? Array.Empty<string>() : [extraCondition],
            RoleExists(role), $"has_table_privilege('{role}', c.oid, '{privilege}')",
        ]);

    /// <summary>Security definer functions of the exposed schemas that <paramref name="role"/> may execute (splinter 0028/0029).</summary>
    public static string DefinerFunctionExposure(string role) =>
        Functions($"""
            format('security definer function %s in exposed schema %I can be called by {role} through the API (/rest/v1/rpc/%s) and runs with its owner''s rights',
                   {FunctionName}, n.nspname, p.proname)
            """,
            "p.prosecdef", ExposedSchema, NotExtensionFunction,
            RoleExists(role), $"has_function_privilege('{role}', p.oid, 'EXECUTE')");

    private const string RelationName = "format('%I.%I', n.nspname, c.relname)";
    private const string RelationComment = "obj_description(c.oid, 'pg_class')";
    /// <summary>No subject: every row the query returns is a finding.</summary>
    public const string NoSubject = "null::text";

    /// <summary>The four columns every rule returns, from <paramref name="from"/>, where every condition holds.</summary>
    private static string Select(string @object, string detail, string comment, string subject, string from, string[] conditions) =>
        $"""
        select {@object} as object,
               {detail} as detail,
               {comment} as comment, {subject} as subject
        from {from}
        where {string.Join("\n  and ", conditions)}
        """;
}
