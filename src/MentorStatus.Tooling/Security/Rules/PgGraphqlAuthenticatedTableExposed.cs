using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS214 <c>pg_graphql_authenticated_table_exposed</c> (INFO). Its page: docs/rules/MS214.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule PgGraphqlAuthenticatedTableExposed = new(
        "pg_graphql_authenticated_table_exposed", RuleLevel.Info,
        "Table in an exposed schema visible to authenticated in the GraphQL schema",
        RelationExposure("authenticated", "SELECT", """
            format('pg_graphql is installed and authenticated may SELECT %I.%I: every signed-in user sees its name and columns in the GraphQL schema (rows stay behind row-level security)',
                   n.nspname, c.relname)
            """,
            extraCondition: "exists (select 1 from pg_extension where extname = 'pg_graphql')"),
        "Expected for tables signed-in users read; revoke select from authenticated where the API never needs it.")
    {
        Code = "MS214",
        Why = "With pg_graphql installed, every signed-in user sees the names and columns of the tables authenticated may SELECT.",
        Counterparts = "splinter 0027 pg_graphql_authenticated_table_exposed",
    };
}
