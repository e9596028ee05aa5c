using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS208 <c>authenticated_security_definer_function_executable</c> (WARN). Its page: docs/rules/MS208.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule AuthenticatedSecurityDefinerFunctionExecutable = new(
        "authenticated_security_definer_function_executable", RuleLevel.Warning,
        "Security definer function in an exposed schema executable by authenticated",
        DefinerFunctionExposure("authenticated"),
        "Keep the rpc in the exposed schema as a security invoker function and move the privileged part to a definer helper in a private schema.")
    {
        Code = "MS208",
        Why = "As the anon rule, for every signed-in user: the rpc should be a security invoker function over a definer helper in a schema the API does not expose.",
        Counterparts = "splinter 0029 authenticated_security_definer_function_executable; `db lint` MS021",
    };
}
