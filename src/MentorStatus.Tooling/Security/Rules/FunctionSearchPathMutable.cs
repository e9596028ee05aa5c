using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS205 <c>function_search_path_mutable</c> (WARN). Its page: docs/rules/MS205.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule FunctionSearchPathMutable = new(
        "function_search_path_mutable", RuleLevel.Warning,
        "Function whose search_path the caller decides",
        Functions($"""
            format('%s %s has no search_path of its own: unqualified names in it resolve through the caller''s search_path',
                   case p.prokind when 'p' then 'procedure' else 'function' end, {FunctionName})
            """,
            ApplicationSchema, NotExtensionFunction,
            "not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) as s where s like 'search\\_path=%')"),
        "alter function … set search_path = pg_catalog, pg_temp (and schema-qualify the names the body uses).")
    {
        Code = "MS205",
        Why = "A function without a search_path of its own resolves unqualified names through the caller's search_path.",
        Counterparts = "splinter 0011 function_search_path_mutable; `db lint` MS013 for security definer functions",
    };
}
