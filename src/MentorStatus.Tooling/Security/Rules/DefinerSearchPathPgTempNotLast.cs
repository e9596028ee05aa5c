using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS206 <c>definer_search_path_pg_temp_not_last</c> (ERROR). Its page: docs/rules/MS206.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule DefinerSearchPathPgTempNotLast = new(
        "definer_search_path_pg_temp_not_last", RuleLevel.Error,
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
        "alter function … set search_path = pg_catalog, pg_temp (pg_temp named last).")
    {
        Code = "MS206",
        Why = "With any search_path that does not name pg_temp last, PostgreSQL searches the caller's temporary schema first for types and relations: a caller's temporary domain or table runs their code with the owner's rights.",
        Counterparts = "the project's own, stricter than splinter 0011; `db lint` MS022",
    };
}
