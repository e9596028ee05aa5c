namespace MentorStatus.Tooling.Lint;

/// <summary>
/// What the lock rules (MS001, MS005, MS006) read in a replay step's new locks: which block writers, on which relations of
/// the project, and how to name them.
/// </summary>
internal static class LockEvidence
{
    /// <summary>
    /// Schemas of Supabase's services. Every project takes locks on their tables in its first migrations (profiles referencing
    /// auth.users, the new-user trigger on auth.users, storage policies on storage.objects), Supabase's own guides write them
    /// without lock_timeout, and the lint's replay only has stand-ins of them: MS005/MS006 leave them out, to keep those rules
    /// about the project's own tables.
    /// </summary>
    public static readonly string[] PlatformSchemas =
        ["auth", "storage", "realtime", "_realtime", "extensions", "cron", "net", "vault", "pgsodium", "supabase_functions", "graphql", "graphql_public"];

    /// <summary>Modes that conflict with ROW EXCLUSIVE, i.e. block INSERT, UPDATE and DELETE (ACCESS EXCLUSIVE blocks reads too).</summary>
    private static readonly string[] WriteBlockingModes = ["ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"];

    /// <summary>The locks the step took that block writers, on table-like relations of the project that existed before it.</summary>
    public static List<HeldLock> WriteBlocking(TraceStep step) =>
        step.NewLocks.Where(l => WriteBlockingModes.Contains(l.Mode) && IsTableLike(step.Before!, l.Relation)).ToList();

    /// <summary>A table-like relation of the project (not of the platform's schemas).</summary>
    public static bool IsTableLike(CatalogState state, uint relation) =>
        state.Relations.TryGetValue(relation, out var r) && r.Kind is 'r' or 'p' or 'm' or 'v' or 'f' && !PlatformSchemas.Contains(r.Schema);

    public static string Describe(IEnumerable<HeldLock> locks, CatalogState state)
    {
        var list = locks.Select(l => $"{Mode(l.Mode)} on {state.NameOf(l.Relation)}").ToList();
        return list.Count == 0 ? "a lock that blocks writes" : string.Join(", ", list);
    }

    /// <summary>AccessExclusiveLock → ACCESS EXCLUSIVE, as the documentation names lock modes.</summary>
    public static string Mode(string mode) =>
        System.Text.RegularExpressions.Regex.Replace(mode.Replace("Lock", ""), "(?<=[a-z])(?=[A-Z])", " ").ToUpperInvariant();
}

/// <summary>
/// Indexes and constraints that ALTER TABLE drops and re-creates under a new OID with the same name (a column type change):
/// not new objects of the migration, but the rebuild MS003 reports.
/// </summary>
internal static class Rebuilds
{
    /// <summary>A new index that replaces one of the same name on the same table that the statement removed (ALTER COLUMN TYPE).</summary>
    public static bool IsRebuild(CatalogState before, CatalogState after, IndexInfo index) =>
        before.Indexes.Values.Any(old => old.Table == index.Table && old.Name == index.Name && !after.Indexes.ContainsKey(old.Oid));

    /// <summary>A constraint that replaces one of the same name on the same table that the statement removed, while a column changed type.</summary>
    public static bool IsRebuiltByTypeChange(CatalogState before, CatalogState after, ConstraintInfo constraint) =>
        before.Constraints.Values.Any(old => old.Table == constraint.Table && old.Name == constraint.Name && !after.Constraints.ContainsKey(old.Oid))
        && after.Columns.Values.Any(c => before.Columns.TryGetValue((c.Table, c.Number), out var old) && old.Type != c.Type);
}
