using System.Text.RegularExpressions;
using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Rules;
using Npgsql;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS016 <c>rollback_mismatch</c> (error). Its page: docs/rules/MS016.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS016/.</summary>
    public static readonly LintRule RollbackMismatch = new("MS016", RuleLevel.Error,
        "rollback does not restore the schema",
        "After up then down the schema differs from before the migration: `db down` leaves leftovers (or removes too much), and the next `db up` may fail.",
        "Make the rollback undo exactly what the migration does; the finding lists each difference (- before, + after rollback).")
    {
        Name = "rollback_mismatch",
    };

    /// <summary>
    /// MS016 after the replay of the file: its rollback runs in a transaction that is rolled back (a rollback that cannot run in one gets
    /// a copy of the database), and must fail no statement and bring the schema back to the snapshot before the migration. A missing
    /// rollback is MS015 (<see cref="MissingRollbackCheck"/>).
    /// </summary>
    internal static partial class RollbackMismatchCheck
    {
        private const int MaxDifferencesShown = 20;

        public static async Task<IReadOnlyList<LintFinding>> RunAsync(ScratchDatabases scratch, string database, LintInput migration,
            ProjectLayout layout, SchemaSnapshot before, TimeSpan? lockTimeout, CancellationToken ct)
        {
            if (migration.RollbackPath is null) return [MissingRollbackCheck.Finding(migration)];

            SchemaSnapshot after;
            try
            {
                var rollback = MigrationFile.Load(Path.Combine(layout.Root, migration.RollbackPath), migration.RollbackPath);
                after = rollback.IsNonTransactional
                    ? await DropIndexInTransactionAsync(scratch, database, rollback, lockTimeout, ct)
                      ?? await OnCopyAsync(scratch, database, rollback, lockTimeout, ct)
                    : await InTransactionAsync(scratch, database, rollback, lockTimeout, ct);
            }
            catch (MigrationException e)
            {
                return [LintFinding.ForFile(RollbackMismatch, migration.DisplayPath, $"rollback {migration.RollbackPath} is invalid: {e.Message}")];
            }
            catch (PostgresException e)
            {
                return [LintFinding.ForFile(RollbackMismatch, migration.DisplayPath,
                    $"rollback {migration.RollbackPath} fails after the migration with SQLSTATE {e.SqlState}: {e.MessageText}")];
            }

            var differences = after.DifferencesFrom(before);
            if (differences.Count == 0) return [];
            var shown = differences.Take(MaxDifferencesShown).Select(d => LintFinding.Shorten(d, 200));
            var more = differences.Count > MaxDifferencesShown ? $"\n  … and {differences.Count - MaxDifferencesShown} more" : "";
            return [LintFinding.ForFile(RollbackMismatch, migration.DisplayPath,
                $"after up then {migration.RollbackPath} the schema differs from before the migration in {differences.Count} place(s):\n  " +
                string.Join("\n  ", shown) + more)];
        }

        /// <summary>
        /// The usual rollback (one transaction): applied in a fresh session, read, then rolled back, which leaves the migrated
        /// database for the next file. Deferred constraints are checked before the read, where the commit would check them.
        /// </summary>
        private static async Task<SchemaSnapshot> InTransactionAsync(ScratchDatabases scratch, string database, MigrationFile rollback,
            TimeSpan? lockTimeout, CancellationToken ct)
        {
            await using var connection = await scratch.OpenAsync(database, ct);
            return await new StatementTracer(connection, lockTimeout).TryScriptAsync(rollback, () => SchemaSnapshot.ReadAsync(connection, ct, prepare: true), ct);
        }

        /// <summary>`drop index concurrently [if exists] NAME [restrict]`: one index, no CASCADE (the forms CONCURRENTLY accepts).</summary>
        [System.Text.RegularExpressions.GeneratedRegex(@"^drop index concurrently (?<exists>if exists )?(?<name>(?:""[^""]+""|[a-z_][a-z0-9_$]*)(?:\.(?:""[^""]+""|[a-z_][a-z0-9_$]*))?)(?<restrict> restrict)?$")]
        private static partial System.Text.RegularExpressions.Regex DropIndexConcurrently();

        /// <summary>
        /// The usual non-transactional rollback, `drop index concurrently` of one index, leaves the schema a plain DROP INDEX leaves:
        /// that runs in a transaction that is rolled back, without the copy of the database (its CREATE DATABASE and the
        /// checkpoint of its DROP DATABASE were most of a rollback check's time). Null when it does not apply, and then the copy
        /// gives the answer: an index of a partitioned table (CONCURRENTLY refuses it), or a drop that fails (the copy reports the
        /// error as the rollback would).
        /// </summary>
        private static async Task<SchemaSnapshot?> DropIndexInTransactionAsync(ScratchDatabases scratch, string database, MigrationFile rollback,
            TimeSpan? lockTimeout, CancellationToken ct)
        {
            if (DropIndexConcurrently().Match(rollback.Statements[0].Normalized) is not { Success: true } drop) return null;
            var name = drop.Groups["name"].Value;
            var sql = $"drop index {drop.Groups["exists"].Value}{name}{drop.Groups["restrict"].Value}";
            await using var connection = await scratch.OpenAsync(database, ct);
            return await new StatementTracer(connection, lockTimeout).TryDropIndexAsync(sql, name, () => SchemaSnapshot.ReadAsync(connection, ct, prepare: true), ct);
        }

        /// <summary>A rollback that cannot run in a transaction (e.g. DROP INDEX CONCURRENTLY) commits: it runs on a copy, dropped afterwards.</summary>
        private static async Task<SchemaSnapshot> OnCopyAsync(ScratchDatabases scratch, string database, MigrationFile rollback,
            TimeSpan? lockTimeout, CancellationToken ct)
        {
            var copy = await scratch.CloneAsync(database, ct);
            try
            {
                await using var connection = await scratch.OpenAsync(copy, ct);
                await new StatementTracer(connection, lockTimeout).ApplyScriptAsync(rollback, ct);
                return await SchemaSnapshot.ReadAsync(connection, ct, prepare: true);
            }
            finally
            {
                await scratch.DropAsync(copy, CancellationToken.None);
            }
        }
    }
}
