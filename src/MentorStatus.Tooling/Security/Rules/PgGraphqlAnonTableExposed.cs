using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>
    /// MS213 <c>pg_graphql_anon_table_exposed</c> (WARN): A table anon may SELECT is served to anyone with the anon key by PostgREST, and listed in the anon GraphQL schema.
    /// </summary>
    /// <remarks>Counterparts: splinter 0026 pg_graphql_anon_table_exposed. Acknowledged on the object by a comment, by its name or its code:
    /// <c>security: ignore pg_graphql_anon_table_exposed because REASON</c>. Cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</remarks>
    public static readonly SecurityRule PgGraphqlAnonTableExposed = new(
        "pg_graphql_anon_table_exposed", RuleLevel.Warning,
        "Table in an exposed schema readable by anon",
        RelationExposure("anon", "SELECT", """
            format('anon may SELECT %I.%I: PostgREST serves it to anyone with the anon key and pg_graphql (on hosted Supabase) lists it in the anon GraphQL schema',
                   n.nspname, c.relname)
            """),
        "revoke select on the table from anon (and PUBLIC) unless signed-out visitors must read it.")
    { Code = "MS213" };
}
