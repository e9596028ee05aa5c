using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS207 <c>anon_security_definer_function_executable</c> (WARN). Its page: docs/rules/MS207.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule AnonSecurityDefinerFunctionExecutable = new(
        "anon_security_definer_function_executable", RuleLevel.Warning,
        "Security definer function in an exposed schema executable by anon",
        DefinerFunctionExposure("anon"),
        "Move it to a schema the API does not expose and call it from an invoker function, or revoke execute from anon and PUBLIC.")
    {
        Code = "MS207",
        Why = "PostgREST offers every function of an exposed schema as /rpc/NAME; a security definer one runs past RLS for anyone holding EXECUTE, here anon (anyone with the project's anon key).",
        Counterparts = "splinter 0028 anon_security_definer_function_executable; `db lint` MS021",
    };
}
