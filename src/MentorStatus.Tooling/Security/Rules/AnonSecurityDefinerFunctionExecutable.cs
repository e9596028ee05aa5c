using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>
    /// MS207 <c>anon_security_definer_function_executable</c> (WARN): PostgREST offers every function of an exposed schema as /rpc/NAME; a security definer one runs past RLS for anyone
    /// holding EXECUTE, here anon (anyone with the project's anon key).
    /// </summary>
    /// <remarks>Counterparts: splinter 0028 anon_security_definer_function_executable; `db lint` MS021. Acknowledged on the object by a comment, by its name or its code:
    /// <c>security: ignore anon_security_definer_function_executable because REASON</c>. Cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</remarks>
    public static readonly SecurityRule AnonSecurityDefinerFunctionExecutable = new(
        "anon_security_definer_function_executable", RuleLevel.Warning,
        "Security definer function in an exposed schema executable by anon",
        DefinerFunctionExposure("anon"),
        "Move it to a schema the API does not expose and call it from an invoker function, or revoke execute from anon and PUBLIC.")
    { Code = "MS207" };
}
