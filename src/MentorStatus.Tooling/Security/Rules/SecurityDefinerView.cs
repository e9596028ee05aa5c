using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS209 <c>security_definer_view</c> (ERROR). Its page: docs/rules/MS209.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule SecurityDefinerView = new(
        "security_definer_view", RuleLevel.Error,
        "View in an exposed schema that runs with its owner's rights",
        Relations("""
            format('view %I.%I in exposed schema %I runs with its owner''s rights, past the callers'' row-level security',
                   n.nspname, c.relname, n.nspname)
            """,
            "c.relkind = 'v'", ExposedSchema,
            "not coalesce(c.reloptions && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1', 'security_invoker=yes'], false)",
            NotExtensionRelation),
        "alter view … set (security_invoker = true).")
    {
        Code = "MS209",
        Why = "A view runs with its owner's rights unless created with security_invoker: the API roles read past the row-level security of the tables beneath it.",
        Counterparts = "splinter 0010 security_definer_view; `db lint` MS019",
    };
}
