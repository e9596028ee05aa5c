namespace MentorStatus.Database.Migrations;

/// <summary>How one local migration stands against the database.</summary>
public sealed record MigrationState(string Version, string Name, bool IsLocal, bool IsApplied, bool IsDrifted, bool HasRollback)
{
    public bool IsPending => IsLocal && !IsApplied;
}

/// <summary>
/// Local files against the journal: what is applied, pending, drifted, out of order or unknown.
/// Pure data, so every rule can be checked before a single statement runs.
/// </summary>
public sealed class MigrationPlan
{
    public IReadOnlyList<MigrationFile> Local { get; }
    public IReadOnlyList<AppliedMigration> Applied { get; }
    public IReadOnlyList<MigrationState> States { get; }

    public MigrationPlan(IReadOnlyList<MigrationFile> local, IReadOnlyList<AppliedMigration> applied, MigrationSource source)
    {
        Local = local;
        Applied = applied;
        var byVersion = local.ToDictionary(f => f.Version);
        var appliedByVersion = applied.ToDictionary(a => a.Version);
        Pending = local.Where(f => !appliedByVersion.ContainsKey(f.Version)).ToList();
        States = local.Select(f => f.Version).Union(applied.Select(a => a.Version))
            .Order(StringComparer.Ordinal)
            .Select(v =>
            {
                byVersion.TryGetValue(v, out var file);
                appliedByVersion.TryGetValue(v, out var row);
                var drifted = file is not null && row?.NormalizedSql is { } journaled && journaled != file.NormalizedSql;
                return new MigrationState(v, file?.Name ?? row?.Name ?? "", file is not null, row is not null, drifted,
                    source.FindRollbackPath(v) is not null);
            })
            .ToList();
    }

    /// <summary>Local files not in the journal, in version order (computed once: the inputs never change).</summary>
    public IReadOnlyList<MigrationFile> Pending { get; }
    public IReadOnlyList<string> Drifted => States.Where(s => s.IsDrifted).Select(s => s.Version).ToList();
    public IReadOnlyList<string> UnknownApplied => States.Where(s => s.IsApplied && !s.IsLocal).Select(s => s.Version).ToList();
    public string? NewestApplied => Applied.Select(a => a.Version).Order(StringComparer.Ordinal).LastOrDefault();

    public IReadOnlyList<string> OutOfOrder => NewestApplied is { } newest
        ? Pending.Where(f => string.CompareOrdinal(f.Version, newest) < 0).Select(f => f.Version).ToList()
        : [];

    /// <summary>Throws the first rule the pending migrations break; returns them, in order, when none.</summary>
    public IReadOnlyList<MigrationFile> CheckUp(bool includeAll, bool allowUnknownApplied = false)
    {
        if (!allowUnknownApplied && UnknownApplied.Count > 0) throw new UnknownAppliedMigrationException(UnknownApplied);
        if (Drifted.Count > 0) throw new MigrationDriftException(Drifted);
        if (!includeAll && OutOfOrder.Count > 0) throw new OutOfOrderMigrationException(OutOfOrder, NewestApplied!);

        var pending = Pending;
        var done = Applied.Select(a => a.Version).ToHashSet();
        foreach (var file in pending)
        {
            foreach (var required in file.Requires)
            {
                if (done.Contains(required)) continue;
                var requiredFile = Local.FirstOrDefault(f => f.Version == required);
                throw new MissingPrerequisiteException(file.DisplayPath, required, requiredFile?.DisplayPath);
            }
            done.Add(file.Version);
        }
        return pending;
    }
}
