namespace MentorStatus.Tooling.Lint;

/// <summary>A catalog problem after some statement; the key makes the same problem before and after compare equal.</summary>
internal sealed record CatalogOffence(string Key, string Message);

/// <summary>
/// "Introduced by this migration", shared by the checks of the exposure rules: offences present after the migration and
/// not before it, each pinned to the last statement that brought it in (the file, when no traced statement did).
/// </summary>
internal static class IntroducedOffences
{
    public static IEnumerable<LintFinding> Find(MigrationTrace trace, LintRule rule, Func<CatalogState, IEnumerable<CatalogOffence>> offences)
    {
        var before = offences(trace.Baseline).Select(o => o.Key).ToHashSet();
        foreach (var offence in offences(trace.Final).Where(o => !before.Contains(o.Key)))
        {
            var step = trace.Steps.LastOrDefault(s => s.Traced
                && offences(s.After!).Any(o => o.Key == offence.Key)
                && !offences(s.Before!).Any(o => o.Key == offence.Key));
            yield return step is null
                ? LintFinding.ForFile(rule, trace.Migration.DisplayPath, offence.Message + " after the migration")
                : LintFinding.For(rule, trace.Migration.DisplayPath, step.Statement, offence.Message + " after the migration");
        }
    }
}
