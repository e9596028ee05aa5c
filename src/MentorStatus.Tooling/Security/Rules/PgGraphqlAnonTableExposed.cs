using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS213 <c>pg_graphql_anon_table_exposed</c> (WARN). Its page: docs/rules/MS213.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule PgGraphqlAnonTableExposed = new(
        "pg_graphql_anon_table_exposed", RuleLevel.Warning,
        "Table in an exposed schema readable by anon",
        RelationExposure("anon", "SELECT", """
            format('anon may SELECT %I.%I: PostgREST serves it to anyone with the anon key and pg_graphql (on hosted Supabase) lists it in the anon GraphQL schema',
                   n.nspname, c.relname)
            """),
        "revoke select on the table from anon (and PUBLIC) unless signed-out visitors must read it.")
    {
        Code = "MS213",
        Why = "A table anon may SELECT is served to anyone with the anon key by PostgREST, and listed in the anon GraphQL schema.",
        Counterparts = "splinter 0026 pg_graphql_anon_table_exposed",
    };
}
