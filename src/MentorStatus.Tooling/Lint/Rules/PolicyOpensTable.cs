using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS020 <c>policy_opens_table</c> (error). Its page: docs/rules/MS020.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS020/.</summary>
    public static readonly LintRule PolicyOpensTable = new("MS020", RuleLevel.Error,
        "policy lets anon/authenticated write every row, or anon read every row of a table not marked public data",
        "`using (true)` / `with check (true)` on an INSERT, UPDATE, DELETE or ALL policy for anon or authenticated lets anyone with the project's " +
        "anon key (or any signed-up user) change or erase every row; a SELECT policy `using (true)` for anon publishes the whole table.",
        "Restrict the policy to the rows the caller owns, e.g. `using ((select auth.uid()) = user_id)`, and `to authenticated`. " +
        "For a table that is meant to be world-readable, say so in its comment (`comment on table … is 'Public data: …'`) or acknowledge the finding.")
    {
        Name = "policy_opens_table",
        Counterparts = "splinter: 0024 rls_policy_always_true (earlier permissive_rls_policy); splinter reads a missing USING as \"allow all\", PostgreSQL admits no row",
    };

    /// <summary>
    /// MS020 on the catalog, introduced by the migration: a permissive policy that lets anon/authenticated write every row, or
    /// anon read every row of a table whose comment does not mark it public data.
    /// </summary>
    internal sealed class PolicyOpensTableCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace) => IntroducedOffences.Find(trace, PolicyOpensTable, PolicyOffences);

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
    }
}
