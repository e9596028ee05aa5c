using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Database.Lint;

/// <summary>
/// Supabase exposure through more than tables (splinter's lints, as catalog checks on the state after each statement):
/// MS019 a view that reads RLS tables as its owner, a materialized view or a view over auth.users readable by the API;
/// MS020 policies that open a table to anon/authenticated; MS021 security definer functions the API may call;
/// MS022 a definer function whose search_path lets the caller's pg_temp shadow names; MS023 an extension in public;
/// MS024 (from the statement text) TRUNCATE/TRIGGER/REFERENCES/ALL granted to the API roles.
/// "Exposed" means in a schema of supabase/config.toml's [api] schemas (public by default).
/// </summary>
internal sealed partial class ApiExposureRules : ILintRuleFamily
{
    private static readonly string[] ApiRoles = ["anon", "authenticated", "public"];

    [GeneratedRegex(@"\$([a-z0-9_]*)\$.*?\$\1\$|'(?:[^']|'')*'", RegexOptions.Singleline)]
    private static partial Regex QuotedText();

    /// <summary>`grant PRIVS on TARGET to ROLES`, also inside `alter default privileges … grant …`.</summary>
    [GeneratedRegex(@"^(?:alter default privileges (?:(?:for (?:role|user) [^ ]+|in schema [^ ]+) )*)?grant (?<privs>.+?) on (?<target>.+?) to (?<roles>.+?)(?: with grant option)?(?: granted by .+)?$")]
    private static partial Regex Grant();

    [GeneratedRegex(@"\b(all|truncate|trigger|references)\b")]
    private static partial Regex DangerousPrivilege();

    [GeneratedRegex(@"^(schema|function|functions|procedure|procedures|routine|routines|sequence|sequences|database|type|types|domain|language|large object|tablespace|foreign|parameter|all (functions|procedures|routines|sequences)) ")]
    private static partial Regex NotATable();

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var exposed = trace.ExposedSchemas;
        var checks = new (LintRule Rule, Func<CatalogState, IEnumerable<CatalogOffence>> Offences)[]
        {
            (LintRules.ViewBypassesRls, s => ViewOffences(s, exposed)),
            (LintRules.PolicyOpensTable, PolicyOffences),
            (LintRules.DefinerFunctionCallableByApi, s => s.Functions.Values
                .Where(f => f.SecurityDefiner && f.ApiExecutable && !f.ReturnsTrigger)
                .Select(f => new CatalogOffence($"{f.Oid}", $"security definer function {f.Signature} in exposed schema {f.Schema} may be executed by anon/authenticated (as /rpc/…)"))),
            (LintRules.DefinerSearchPathWithoutPgTemp, s => s.Functions.Values
                .Where(f => f.SecurityDefiner && f.SearchPath is { } path && !EndsWithPgTemp(path))
                .Select(f => new CatalogOffence($"{f.Oid}:{f.SearchPath}",
                    $"security definer function {f.Signature} has search_path = {(f.SearchPath is "\"\"" or "" ? "''" : f.SearchPath)}, without pg_temp last: " +
                    "the caller's temporary schema is searched first for tables and types"))),
            (LintRules.ExtensionInPublic, s => s.Extensions.Values.Where(e => e.Schema == "public")
                .Select(e => new CatalogOffence($"{e.Oid}:{e.Schema}", $"extension {e.Name} is installed in schema public"))),
        };
        foreach (var (rule, offences) in checks)
            foreach (var finding in IntroducedOffences.Find(trace, rule, offences))
                yield return finding;

        foreach (var statement in trace.Migration.Statements)
            if (DangerousGrant(statement) is { } message)
                yield return LintFinding.For(LintRules.DangerousGrantToApi, trace.Migration.DisplayPath, statement, message);
    }

    private static IEnumerable<CatalogOffence> ViewOffences(CatalogState state, IReadOnlySet<string> exposed)
    {
        foreach (var r in state.Relations.Values.Where(r => r.Kind is 'v' or 'm' && r.ApiReadable && exposed.Contains(r.Schema)))
        {
            if (r.Kind == 'm')
                yield return new CatalogOffence($"{r.Oid}:m", $"materialized view {r.QualifiedName} in exposed schema {r.Schema} is readable by anon/authenticated, " +
                    "and a materialized view has no row-level security" + (r.RlsSources.Length > 0 ? $" (it copies rows of {r.RlsSources})" : ""));
            else if (r.ReadsAuthUsers && !r.SecurityInvoker)
                yield return new CatalogOffence($"{r.Oid}:auth", $"view {r.QualifiedName} in exposed schema {r.Schema} reads auth.users and is readable by anon/authenticated");
            else if (!r.SecurityInvoker && r.RlsSources.Length > 0)
                yield return new CatalogOffence($"{r.Oid}:v", $"view {r.QualifiedName} in exposed schema {r.Schema} runs as its owner (no security_invoker = true) " +
                    $"and reads {r.RlsSources}, which has row-level security: anon/authenticated read past its policies");
        }
    }

    private static IEnumerable<CatalogOffence> PolicyOffences(CatalogState state)
    {
        foreach (var p in state.Policies.Values.Where(p => p.Permissive))
        {
            var roles = p.Roles ?? ["public"];
            var api = roles.Where(r => ApiRoles.Contains(r)).ToList();
            if (api.Count == 0) continue;
            var who = roles.Contains("public") ? "every role (anon and authenticated included)" : string.Join(" and ", api);
            var table = state.NameOf(p.Table);
            var usingAll = IsTrue(p.Using);
            var checkAll = IsTrue(p.Check) || (p.Check.Length == 0 && usingAll);
            var writes = p.Command switch
            {
                'a' => checkAll ? "insert any row into" : null,
                'w' => usingAll ? "update every row of" : null,
                'd' => usingAll ? "delete every row of" : null,
                '*' => usingAll || checkAll ? "read, insert, update and delete every row of" : null,
                _ => null,
            };
            if (writes is not null)
            {
                yield return new CatalogOffence($"{p.Oid}:w:{p.Using}:{p.Check}:{string.Join(',', roles)}", $"policy {p.Name} lets {who} {writes} {table}");
                continue;
            }
            var publicData = state.Relations.TryGetValue(p.Table, out var relation) && relation.PublicData;
            if (p.Command == 'r' && usingAll && !publicData && (roles.Contains("anon") || roles.Contains("public")))
                yield return new CatalogOffence($"{p.Oid}:r:{p.Using}:{string.Join(',', roles)}",
                    $"policy {p.Name} lets {(roles.Contains("public") ? "every role, anon included," : "anon")} read every row of {table}, whose comment does not mark it public data");
        }
    }

    /// <summary>An expression that admits every row: `true`, or no expression at all (pg_get_expr gives '').</summary>
    private static bool IsTrue(string expression) => expression.Trim() is "" or "true" or "(true)";

    private static bool EndsWithPgTemp(string searchPath)
    {
        var schemas = searchPath.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim('"')).Where(s => s.Length > 0).ToList();
        return schemas.Count > 0 && schemas[^1] == "pg_temp";
    }

    private static string? DangerousGrant(SqlStatement statement)
    {
        var text = QuotedText().Replace(statement.Normalized, "''");
        var grant = Grant().Match(text);
        if (!grant.Success || NotATable().IsMatch(grant.Groups["target"].Value)) return null;
        var privileges = DangerousPrivilege().Matches(grant.Groups["privs"].Value).Select(m => m.Value.ToUpperInvariant()).Distinct().ToList();
        var roles = grant.Groups["roles"].Value.Split(',', StringSplitOptions.TrimEntries).Select(r => r.Trim('"'))
            .Where(r => ApiRoles.Contains(r)).ToList();
        if (privileges.Count == 0 || roles.Count == 0) return null;
        return $"{string.Join(", ", privileges)} on {grant.Groups["target"].Value} granted to {string.Join(", ", roles)}" +
               (privileges.Contains("ALL") ? " (ALL includes TRUNCATE, TRIGGER and REFERENCES)" : "");
    }
}
