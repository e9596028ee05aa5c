using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS001 <c>index_without_concurrently</c> (error). Its page: docs/rules/MS001.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS001/.</summary>
    public static readonly LintRule IndexWithoutConcurrently = new("MS001", RuleLevel.Error,
        "index built or dropped without CONCURRENTLY on an existing table",
        "CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits until the index is built. " +
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: even reads wait, and queue behind any long query.",
        "Build it with `create index concurrently if not exists` (drop it with `drop index concurrently if exists`) in a migration file of its own " +
        "(it cannot run in a transaction). For a primary key or unique constraint: build the unique index concurrently, then " +
        "`alter table … add constraint … using index …`.")
    {
        Name = "index_without_concurrently",
        Counterparts = "squawk: require-concurrent-index-creation, require-concurrent-index-deletion, require-concurrent-reindex, disallowed-unique-constraint; eugene: E6, E7, E8 (its index)",
    };

    /// <summary>
    /// MS001 on the replay: a new index file on a table that existed (inside the migration's transaction no build can be
    /// concurrent), a DROP INDEX of one of its indexes, a REINDEX that writes an existing index a new file. An index that
    /// ALTER TABLE recreates under a new OID keeping its file (`varchar(n)` → `text`) is none, nor one it rebuilds (MS003).
    /// </summary>
    internal sealed class IndexWithoutConcurrentlyCheck : LintCheck
    {
        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!step.Traced) yield break;
            var file = trace.Migration.DisplayPath;
            var before = step.Before!;
            var after = step.After!;
            // Inside a transaction no index can be built concurrently: every new index file on an old table blocked writes.
            var oldFiles = before.Relations.Values.Where(r => r.Kind is 'i' or 'I').Select(r => r.FileNode).ToHashSet();
            foreach (var index in after.Indexes.Values.Where(i => !before.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)))
            {
                if (after.Relations.TryGetValue(index.Oid, out var relation) && oldFiles.Contains(relation.FileNode)) continue; // kept its file
                if (Rebuilds.IsRebuild(before, after, index)) continue; // ALTER TABLE rebuilt it: a rewrite, MS003 reports it
                var kind = index.Primary ? "primary key index" : index.Unique ? "unique index" : "index";
                yield return LintFinding.For(IndexWithoutConcurrently, file, step.Statement,
                    $"{kind} {index.Name} on existing table {after.NameOf(index.Table)} is built without CONCURRENTLY; " +
                    $"held: {LockEvidence.Describe(step.NewLocks.Where(l => l.Relation == index.Table), after)}");
            }
            if (step.Statement.Normalized.StartsWith("drop index ", StringComparison.Ordinal))
                foreach (var index in before.Indexes.Values.Where(i => trace.Existed(i.Table) && trace.Baseline.Indexes.ContainsKey(i.Oid)
                                                                       && !after.Indexes.ContainsKey(i.Oid) && after.Relations.ContainsKey(i.Table)))
                    yield return LintFinding.For(IndexWithoutConcurrently, file, step.Statement,
                        $"index {index.Name} on existing table {after.NameOf(index.Table)} is dropped without CONCURRENTLY (ACCESS EXCLUSIVE on the table)");

            // REINDEX keeps the index's OID but writes a new file: a build like any other, under SHARE on the table.
            if (step.Statement.Normalized.StartsWith("reindex", StringComparison.Ordinal))
                foreach (var index in after.Indexes.Values.Where(i => trace.Baseline.Indexes.ContainsKey(i.Oid) && trace.Existed(i.Table)
                                                                      && before.Relations.TryGetValue(i.Oid, out var old) && after.Relations.TryGetValue(i.Oid, out var now)
                                                                      && old.FileNode != now.FileNode))
                    yield return LintFinding.For(IndexWithoutConcurrently, file, step.Statement,
                        $"index {index.Name} on existing table {after.NameOf(index.Table)} is rebuilt by REINDEX without CONCURRENTLY: SHARE on the table " +
                        "(every write waits) and ACCESS EXCLUSIVE on the index (every query that would use it waits) for the whole build",
                        fix: "`reindex index concurrently …` (or `reindex table concurrently …`) in a migration file of its own: it cannot run in a transaction.");
        }
    }
}
