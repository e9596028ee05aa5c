using MentorStatus.Tooling.Rules;
using static MentorStatus.Tooling.Security.CatalogQuery;

namespace MentorStatus.Tooling.Security;

public static partial class SecurityRules
{
    /// <summary>MS215 <c>private_schema_anon_usage</c> (ERROR). Its page: docs/rules/MS215.md; its cases: tests/MentorStatus.Tests/Security/SecurityInvariantTests.cs.</summary>
    public static readonly SecurityRule PrivateSchemaAnonUsage = new(
        "private_schema_anon_usage", RuleLevel.Error,
        "anon may use a private schema of security definer functions",
        $$"""
        select n.nspname::text as object,
               format('anon has USAGE on schema %I, which holds security definer functions and is not exposed: anon needs nothing there', n.nspname) as detail,
               obj_description(n.oid, 'pg_namespace') as comment, null::text as subject
        from pg_namespace n
        where {{ApplicationSchema}}
          and n.nspname <> all (@exposed)
          and exists (select 1 from pg_proc p where p.pronamespace = n.oid and p.prosecdef)
          and {{RoleExists("anon")}}
          and has_schema_privilege('anon', n.oid, 'USAGE')
        """,
        "revoke usage on schema … from anon, public; grant it to the roles whose policies call its functions.")
    {
        Code = "MS215",
        Why = "Anon needs no USAGE on a schema of security definer functions that the API does not expose.",
        Counterparts = "the project's own",
    };
}
