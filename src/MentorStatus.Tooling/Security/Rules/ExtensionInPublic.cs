using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS210 <c>extension_in_public</c> (WARN). Its page: docs/rules/MS210.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule ExtensionInPublic = new(
        "extension_in_public", RuleLevel.Warning,
        "Extension installed in schema public",
        """
        select e.extname::text as object,
               format('extension %I is installed in schema public: its functions and tables are exposed by the API', e.extname) as detail,
               null::text as comment, null::text as subject
        from pg_extension e
        where e.extnamespace = 'public'::regnamespace
        """,
        "Install it in schema extensions (create extension … with schema extensions; or alter extension … set schema extensions).")
    {
        Code = "MS210",
        Why = "An extension's functions and tables in public are API endpoints; Supabase keeps extensions in schema extensions.",
        Counterparts = "splinter 0014 extension_in_public; `db lint` MS023",
    };
}
