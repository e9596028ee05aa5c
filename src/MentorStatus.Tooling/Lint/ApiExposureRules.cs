using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

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

    // Default privileges name the kind alone (`… grant all on sequences to anon`): the kind may end the target.
    [GeneratedRegex(@"^(schema|schemas|function|functions|procedure|procedures|routine|routines|sequence|sequences|database|type|types|domain|language|large object|tablespace|foreign|parameter|all (functions|procedures|routines|sequences))(?: |$)")]
    private static partial Regex NotATable();

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var exposed = trace.ExposedSchemas;
        var checks = new (LintRule Rule, Func<CatalogState, IEnumerable<CatalogOffence>> Offences)[]
        {
            (LintRules.ViewBypassesRls, s => ViewOffences(s, exposed)),
            (LintRules.PolicyOpensTable, PolicyOffences),
            (LintRules.DefinerFunctionCallableByApi, DefinerOffences),
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

        // A definer function the API may call that this migration re-created (create or replace keeps its OID, so it is not
        // "introduced"): the file wrote it again and is the place to fix it, even if the version before had the same flaw.
        var introduced = DefinerOffences(trace.Final).Select(o => o.Key).Except(DefinerOffences(trace.Baseline).Select(o => o.Key)).ToHashSet();
        foreach (var f in trace.Final.Functions.Values.Where(f => !introduced.Contains($"{f.Oid}") && DefinerOffences(trace.Final).Any(o => o.Key == $"{f.Oid}")))
        {
            var recreated = trace.Steps.LastOrDefault(s => s.Traced && CreateFunction().IsMatch(s.Statement.Normalized)
                && s.Before!.Functions.TryGetValue(f.Oid, out var old) && s.After!.Functions.TryGetValue(f.Oid, out var now) && old.RowVersion != now.RowVersion);
            if (recreated is not null)
                yield return LintFinding.For(LintRules.DefinerFunctionCallableByApi, trace.Migration.DisplayPath, recreated.Statement,
                    $"security definer function {f.Signature} in exposed schema {f.Schema} may be executed by anon/authenticated (as /rpc/…); " +
                    "this migration re-creates it (the version before had the same exposure)");
        }

        var dangerous = trace.Migration.Statements.Select(s => (Statement: s, Message: DangerousGrant(s))).Where(x => x.Message is not null).ToList();
        var restated = RestatedDefaultGrants(trace.Migration.Statements);
        foreach (var (statement, message) in dangerous.Where(x => !restated.Contains(x.Statement)))
            yield return LintFinding.For(LintRules.DangerousGrantToApi, trace.Migration.DisplayPath, statement, message!);
        var collapsed = dangerous.Where(x => restated.Contains(x.Statement)).Select(x => x.Statement).ToList();
        if (collapsed.Count > 0)
            yield return LintFinding.For(LintRules.DangerousGrantToApi, trace.Migration.DisplayPath, collapsed[0],
                $"{collapsed.Count} statement(s) (line {string.Join(", ", collapsed.Select(s => s.Line))}) re-state Supabase's default grants: ALL on the tables of " +
                "schema public to anon, authenticated and service_role, as `supabase db diff` and pg_dump write them. On Supabase these roles hold these " +
                "privileges already (its default privileges grant them on every table postgres creates in public), so the file adds nothing; " +
                "row-level security on each table is what guards it, and ALL includes TRUNCATE, TRIGGER and REFERENCES",
                fix: "Nothing to change in this file. To take TRUNCATE, TRIGGER and REFERENCES from the API roles for good, in a migration of its own: " +
                     "`revoke truncate, trigger, references on all tables in schema public from anon, authenticated;` and " +
                     "`alter default privileges for role postgres in schema public revoke truncate, trigger, references on tables from anon, authenticated;`.")
                with { LevelOverride = RuleLevel.Warning };
    }

    private static readonly string[] DefaultGrantees = ["anon", "authenticated", "service_role"];

    [GeneratedRegex(@"^(?:alter default privileges (?:for (?:role|user) ""?(?<owner>[a-z_]+)""? )?in schema ""?(?<schema>[a-z_]+)""? )?grant (?<privs>.+?) on (?<target>.+?) to (?<roles>.+?)(?: with grant option)?$")]
    private static partial Regex GrantShape();

    [GeneratedRegex(@"^(?:all|all privileges|(?:select|insert|update|delete|truncate|references|trigger)(?:, ?(?:select|insert|update|delete|truncate|references|trigger))*)$")]
    private static partial Regex TablePrivileges();

    /// <summary>
    /// The grants that re-state Supabase's defaults, the way `supabase db diff` and pg_dump write them: privileges on tables of
    /// public (one by one, `all tables in schema public`, or the default privileges of postgres in public) to the API roles, where
    /// the file grants each such target to all three of anon, authenticated and service_role. A hand-written grant of ALL to anon
    /// alone is a decision, not a dump, and stays a finding of its own.
    /// </summary>
    private static HashSet<SqlStatement> RestatedDefaultGrants(IReadOnlyList<SqlStatement> statements)
    {
        var shapes = new List<(SqlStatement Statement, List<string> Targets, List<string> Roles)>();
        foreach (var statement in statements)
        {
            var match = GrantShape().Match(QuotedText().Replace(statement.Normalized, "''"));
            if (!match.Success || !TablePrivileges().IsMatch(match.Groups["privs"].Value)) continue;
            var roles = match.Groups["roles"].Value.Split(',', StringSplitOptions.TrimEntries).Select(r => r.Trim('"')).ToList();
            if (!roles.All(r => DefaultGrantees.Contains(r))) continue;
            List<string> targets;
            var target = match.Groups["target"].Value;
            if (statement.Normalized.StartsWith("alter default privileges", StringComparison.Ordinal))
            {
                if (match.Groups["schema"].Value != "public" || match.Groups["owner"].Value is not ("" or "postgres") || target != "tables") continue;
                targets = ["default privileges on tables"];
            }
            else if (target == "all tables in schema public")
                targets = [target];
            else
            {
                targets = (target.StartsWith("table ", StringComparison.Ordinal) ? target[6..] : target)
                    .Split(',', StringSplitOptions.TrimEntries).Select(t => t.Replace("\"", "")).Select(t => t.Contains('.') ? t : "public." + t).ToList();
                if (!targets.All(t => t.StartsWith("public.", StringComparison.Ordinal) && t.IndexOf('.', 7) < 0)) continue;
            }
            shapes.Add((statement, targets, roles));
        }
        var grantees = shapes.SelectMany(s => s.Targets.Select(t => (Target: t, s.Roles)))
            .GroupBy(x => x.Target).ToDictionary(g => g.Key, g => g.SelectMany(x => x.Roles).ToHashSet());
        return shapes.Where(s => s.Targets.All(t => DefaultGrantees.All(grantees[t].Contains))).Select(s => s.Statement).ToHashSet();
    }

    private static IEnumerable<CatalogOffence> DefinerOffences(CatalogState state) => state.Functions.Values
        .Where(f => f.SecurityDefiner && f.ApiExecutable && !f.ReturnsTrigger)
        .Select(f => new CatalogOffence($"{f.Oid}", $"security definer function {f.Signature} in exposed schema {f.Schema} may be executed by anon/authenticated (as /rpc/…)"));

    [GeneratedRegex(@"^create (?:or replace )?(?:function|procedure) ")]
    private static partial Regex CreateFunction();

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

    /// <summary>
    /// Permissive policies that open a table to the API roles. As PostgreSQL applies them: a policy without USING admits no
    /// existing row (it is not `true`), and one without WITH CHECK checks new rows with its USING (both absent: no new row).
    /// The key is the table, the policy's name and command, its roles and what it opens: never the expression text, which
    /// pg_get_expr prints differently when a file changes search_path (a `reset all` would otherwise "introduce" it again).
    /// </summary>
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
            var checkAll = p.Check.Length > 0 ? IsTrue(p.Check) : usingAll;
            var writes = p.Command switch
            {
                'a' => checkAll ? $"insert any row into {table}" : null,
                'w' => usingAll ? $"update every row of {table}" : null,
                'd' => usingAll ? $"delete every row of {table}" : null,
                '*' => (usingAll, checkAll) switch
                {
                    (true, true) => $"read, insert, update and delete every row of {table}",
                    (true, false) => $"read, update and delete every row of {table} (new rows must pass its WITH CHECK)",
                    (false, true) => $"insert any row into {table} (and give its own rows any values)",
                    _ => null,
                },
                _ => null,
            };
            var key = $"{p.Table}:{p.Name}:{p.Command}:{string.Join(',', roles)}";
            if (writes is not null)
            {
                yield return new CatalogOffence($"{key}:w:{writes}", $"policy {p.Name} lets {who} {writes}");
                continue;
            }
            var publicData = state.Relations.TryGetValue(p.Table, out var relation) && relation.PublicData;
            if (p.Command == 'r' && usingAll && !publicData && (roles.Contains("anon") || roles.Contains("public")))
                yield return new CatalogOffence($"{key}:r",
                    $"policy {p.Name} lets {(roles.Contains("public") ? "every role, anon included," : "anon")} read every row of {table}, whose comment does not mark it public data");
        }
    }

    /// <summary>An expression that admits every row: `true` or `1 = 1`. An absent one ('') admits none.</summary>
    private static bool IsTrue(string expression) => expression.Trim() is "true" or "(true)" or "(1 = 1)" or "1 = 1";

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
