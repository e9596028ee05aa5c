namespace MentorStatus.Tooling.Security;

/// <summary>
/// The rules of <c>db security</c>, modelled on Supabase's splinter lints (same names and levels where a
/// rule is one of them) plus the project's own. Every rule reads the catalog; none names an object of a
/// particular project. One file per rule under Rules/ holds its id, level and title, the words and conditions
/// of its query, its fix and its documentation; the query shapes they share live in <see cref="CatalogQuery"/>.
/// </summary>
public static partial class SecurityRules
{
    private static IReadOnlyList<SecurityRule>? _all;

    /// <summary>
    /// Every rule, in report order. Each rule is a file of its own under Rules/ (its query, its fix and its
    /// documentation); built on first use, after every part's fields are set.
    /// </summary>
    public static IReadOnlyList<SecurityRule> All => _all ??=
    [
        RlsDisabledInPublic, PolicyExistsRlsDisabled, RlsEnabledNoPolicy, AuthRlsInitplan,
        FunctionSearchPathMutable, DefinerSearchPathPgTempNotLast,
        AnonSecurityDefinerFunctionExecutable, AuthenticatedSecurityDefinerFunctionExecutable,
        SecurityDefinerView, ExtensionInPublic, ApiRoleExcessPrivilege, AppendOnlyWritable,
        PgGraphqlAnonTableExposed, PgGraphqlAuthenticatedTableExposed, PrivateSchemaAnonUsage,
        MultiplePermissivePolicies, PolicyOrNotIndexBound,
    ];
}
