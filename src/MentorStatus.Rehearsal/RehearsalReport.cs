namespace MentorStatus.Rehearsal;

/// <summary>A lock the migration took on a table that existed before it, and how long it kept it.</summary>
public sealed record LockHeld(string Relation, string Mode, long Rows, TimeSpan Held)
{
    /// <summary>Plain reads (ACCESS SHARE) wait only for ACCESS EXCLUSIVE.</summary>
    public bool BlocksReads => Mode == "AccessExclusiveLock";
    /// <summary>INSERT/UPDATE/DELETE (ROW EXCLUSIVE) wait for SHARE and every stronger mode.</summary>
    public bool BlocksWrites => Mode is "ShareLock" or "ShareRowExclusiveLock" or "ExclusiveLock" or "AccessExclusiveLock";

    public string Describe() =>
        $"{ShortMode} on {Relation} ({Rows:N0}) {RehearsalReport.Ms(Held)}" +
        (BlocksReads ? ": blocks reads+writes" : BlocksWrites ? ": blocks writes" : "");

    public string ShortMode => Mode.EndsWith("Lock", StringComparison.Ordinal) ? Mode[..^4] : Mode;
}

/// <summary>A table or index the statement wrote anew (a new relfilenode), or created, with its size.</summary>
public sealed record RelationWritten(string Relation, bool Rewritten, long Bytes);

/// <summary>What the synthetic clients saw while a statement ran (until its transaction ended).</summary>
public sealed record ClientImpact(int Operations, double P50Ms, double P99Ms, double MaxMs, int Failed, int WaitedOnLock, TimeSpan LongestLockWait);

/// <summary>What the rehearsal says of one statement (see ImpactAnalysis.Judge).</summary>
public enum StatementVerdict
{
    /// <summary>No writer can have waited longer than --max-block, or the clients measured that none did.</summary>
    Safe,
    /// <summary>Held a lock writers wait for on a table with rows longer than --max-block, or a client waited longer.</summary>
    Blocking,
    /// <summary>Could have kept writers waiting (row locks for longer than --max-block) and nothing measured it.</summary>
    NotMeasured,
}

/// <summary>One statement of a pending migration, measured on the copy.</summary>
public sealed record StatementRehearsal(
    int Number, int Line, string Statement, bool Transactional, TimeSpan Duration, IReadOnlyList<LockHeld> Locks,
    IReadOnlyList<RelationWritten> Written, long WalBytes, ClientImpact? Clients, IReadOnlyList<string> LintFindings)
{
    public bool RewroteTable => Written.Any(w => w.Rewritten);

    public StatementVerdict Verdict { get; init; }

    /// <summary>Why: the lock and how long, the clients' wait, or what was missing to measure it.</summary>
    public string VerdictReason { get; init; } = "";

    /// <summary>
    /// How long writers were (measured) or would be kept waiting by this statement: the longest a client waited, and
    /// at least as long as it held a lock writers wait for on a table with rows.
    /// </summary>
    public TimeSpan BlockedFor(bool measured)
    {
        var byLock = Locks.Where(l => l.Rows > 0 && l.BlocksWrites).Select(l => l.Held).DefaultIfEmpty().Max();
        var waited = measured ? Clients?.LongestLockWait ?? TimeSpan.Zero : TimeSpan.Zero;
        return waited > byLock ? waited : byLock;
    }
}

/// <summary>One pending migration file, applied as `db up` applies it.</summary>
public sealed record MigrationRehearsalResult(string Version, string File, TimeSpan Duration, IReadOnlyList<StatementRehearsal> Statements,
    IReadOnlyList<string> FileLintFindings, string? Error);

/// <summary>The latency the clients saw before any migration ran: the baseline of the same run.</summary>
public sealed record LoadBaseline(int Clients, int Operations, double P50Ms, double P99Ms, double MaxMs);

public sealed record RehearsalReport(
    string Source,
    CopySummary Copy,
    IReadOnlyList<MigrationRehearsalResult> Migrations,
    LoadBaseline? Baseline,
    IReadOnlyList<string> SchemaDifferences,
    string? RollbackError,
    TimeSpan MaxBlock,
    string? KeptClusterUrl,
    IReadOnlyList<string> Notes)
{
    /// <summary>With --keep: the shell command that stops the kept cluster and deletes its folder.</summary>
    public string? KeptClusterStopCommand { get; init; }

    /// <summary>With --keep: the libpq passfile (0600) holding the kept cluster's random password; <see cref="KeptClusterUrl"/> has none.</summary>
    public string? KeptClusterPassFile { get; init; }

    /// <summary>With --keep: how to connect with psql through the passfile (PGPASSFILE), the password never on the command line.</summary>
    public string? KeptClusterConnectCommand { get; init; }

    /// <summary>Wall time of each phase, in order (source check, cluster, copy, lint, migrations, rollback, deletion).</summary>
    public IReadOnlyList<PhaseTiming> Phases { get; init; } = [];

    public bool Measured => Baseline is not null;

    /// <summary>The statements that kept (or, by their locks, would keep) writers waiting longer than --max-block (the verdict names the worst).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<(MigrationRehearsalResult Migration, StatementRehearsal Statement)> Blocking =>
        Migrations.SelectMany(m => m.Statements.Select(s => (m, s)))
            .Where(x => x.s.Verdict == StatementVerdict.Blocking)
            .OrderByDescending(x => x.s.BlockedFor(Measured))
            .ToList();

    /// <summary>The statements the rehearsal could not judge: nothing measured them (see <see cref="StatementVerdict.NotMeasured"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<(MigrationRehearsalResult Migration, StatementRehearsal Statement)> NotMeasured =>
        Migrations.SelectMany(m => m.Statements.Select(s => (m, s))).Where(x => x.s.Verdict == StatementVerdict.NotMeasured).ToList();

    public bool RollbackRestoredSchema => RollbackError is null && SchemaDifferences.Count == 0;
    public bool MigrationFailed => Migrations.Any(m => m.Error is not null);
    public bool Ok => Blocking.Count == 0 && NotMeasured.Count == 0 && RollbackRestoredSchema && !MigrationFailed;

    /// <summary>Nothing failed and nothing blocked, but a statement was not measured: not "safe" (the CLI exits 3).</summary>
    public bool Inconclusive => !Ok && Blocking.Count == 0 && RollbackRestoredSchema && !MigrationFailed;

    /// <summary>One line: safe to apply online, or what would hurt.</summary>
    public string Verdict
    {
        get
        {
            if (Migrations.Count == 0) return "nothing to rehearse: no migration is pending on the source";
            if (Migrations.FirstOrDefault(m => m.Error is not null) is { } failed)
                return $"NOT safe: {failed.File} fails on the copy: {failed.Error}";
            if (Blocking is [var (m, s), ..])
            {
                var waited = Measured ? s.Clients?.LongestLockWait ?? TimeSpan.Zero : TimeSpan.Zero;
                var how = waited >= s.BlockedFor(Measured) && waited > TimeSpan.Zero
                    ? $"kept the synthetic clients waiting up to {Ms(waited)}"
                    : $"holds a lock that blocks writers for {Ms(s.BlockedFor(Measured))}";
                var what = s.Locks.FirstOrDefault(l => l.Rows > 0 && l.BlocksWrites) is { } l ? $" ({l.ShortMode} on {l.Relation}{(s.RewroteTable ? ", table rewritten" : "")})" : "";
                return $"NOT safe online: {m.File} statement {s.Number} (line {s.Line}) {how}{what}, over --max-block {Ms(MaxBlock)}";
            }
            if (!RollbackRestoredSchema)
                return RollbackError is not null
                    ? $"rollback failed: {RollbackError}"
                    : $"rollback did not restore the schema: {SchemaDifferences.Count} difference(s)";
            if (NotMeasured is [var (nm, ns), ..])
                return $"NOT measured: {nm.File} statement {ns.Number} (line {ns.Line}) {ns.VerdictReason}; the rehearsal cannot call it safe" +
                       (NotMeasured.Count > 1 ? $" ({NotMeasured.Count} statements not measured)" : "");
            return $"safe to apply online: no statement blocked {(Measured ? "the clients" : "writers")} longer than {Ms(MaxBlock)}, and the rollbacks restore the schema";
        }
    }

    public static string Ms(TimeSpan t) => t.TotalMilliseconds >= 1000 ? $"{t.TotalSeconds:0.00} s" : $"{t.TotalMilliseconds:0} ms";
}
