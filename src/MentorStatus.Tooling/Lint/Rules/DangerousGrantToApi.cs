using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS024 <c>dangerous_grant_to_api</c> (error or warning). Its page: docs/rules/MS024.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS024/.</summary>
    public static readonly LintRule DangerousGrantToApi = new("MS024", RuleLevel.Error,
        "TRUNCATE, TRIGGER, REFERENCES or ALL granted to anon/authenticated",
        "TRUNCATE is not subject to row-level security and erases every row; TRIGGER lets the role attach code to the table; REFERENCES lets it " +
        "create foreign keys that block deletes. `grant all` gives all three. The API roles need at most select, insert, update, delete.",
        "Grant only what the API needs, e.g. `grant select, insert, update, delete on table … to authenticated;`.")
    {
        Name = "dangerous_grant_to_api",
        LevelNote = "one warning for a file that re-states Supabase's default grants, as pg_dump and `supabase db diff` write them",
    };

    /// <summary>
    /// MS024 from the statement text: TRUNCATE, TRIGGER, REFERENCES or ALL on tables granted to anon/authenticated (also in
    /// <c>alter default privileges</c>). A file that re-states Supabase's default grants, as pg_dump and <c>supabase db diff</c>
    /// write them, gets one warning that says so instead of one error per grant.
    /// </summary>
    internal sealed partial class DangerousGrantToApiCheck : LintCheck
    {
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

        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace)
        {
            var dangerous = trace.Migration.Statements.Select(s => (Statement: s, Message: DangerousGrant(s))).Where(x => x.Message is not null).ToList();
            var restated = RestatedDefaultGrants(trace.Migration.Statements);
            foreach (var (statement, message) in dangerous.Where(x => !restated.Contains(x.Statement)))
                yield return LintFinding.For(DangerousGrantToApi, trace.Migration.DisplayPath, statement, message!);
            var collapsed = dangerous.Where(x => restated.Contains(x.Statement)).Select(x => x.Statement).ToList();
            if (collapsed.Count > 0)
                yield return LintFinding.For(DangerousGrantToApi, trace.Migration.DisplayPath, collapsed[0],
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
}
