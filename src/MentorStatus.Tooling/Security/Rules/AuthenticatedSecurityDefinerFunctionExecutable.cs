using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>
    /// MS208 <c>authenticated_security_definer_function_executable</c> (WARN): As the anon rule, for every signed-in user: the rpc should be a security invoker function over a definer helper in a
    /// schema the API does not expose.
    /// </summary>
    /// <remarks>Counterparts: splinter 0029 authenticated_security_definer_function_executable; `db lint` MS021. Acknowledged on the object by a comment, by its name or its code:
    /// <c>security: ignore authenticated_security_definer_function_executable because REASON</c>. Cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</remarks>
    public static readonly SecurityRule AuthenticatedSecurityDefinerFunctionExecutable = new(
        "authenticated_security_definer_function_executable", RuleLevel.Warning,
        "Security definer function in an exposed schema executable by authenticated",
        DefinerFunctionExposure("authenticated"),
        "Keep the rpc in the exposed schema as a security invoker function and move the privileged part to a definer helper in a private schema.")
    { Code = "MS208" };
}
