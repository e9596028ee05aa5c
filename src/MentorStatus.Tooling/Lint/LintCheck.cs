namespace MentorStatus.Tooling.Lint;

/// <summary>
/// A check of one lint rule over one replayed migration, defined in the rule's file under Rules/ beside its text. A rule may
/// have two (MS003 on the replay and, statically, for VACUUM FULL; MS021 for functions introduced and re-created).
/// </summary>
internal abstract class LintCheck
{
    /// <summary>Findings about one statement of the file, asked for each replay step in the file's order.</summary>
    public virtual IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step) => [];

    /// <summary>Findings about the file as a whole, asked once every statement has been checked.</summary>
    public virtual IEnumerable<LintFinding> CheckFile(MigrationTrace trace) => [];

    /// <summary>
    /// Runs <paramref name="groups"/> over the trace, one group after the other: in a group, each statement is asked of every
    /// check in turn, then the whole file. The findings come in that order, which the JSON and SARIF reports keep (the text
    /// report sorts by file and line, and keeps it among the findings of one line).
    /// </summary>
    public static IEnumerable<LintFinding> Run(IReadOnlyList<IReadOnlyList<LintCheck>> groups, MigrationTrace trace)
    {
        foreach (var group in groups)
        {
            foreach (var step in trace.Steps)
                foreach (var check in group)
                    foreach (var finding in check.CheckStep(trace, step))
                        yield return finding;
            foreach (var check in group)
                foreach (var finding in check.CheckFile(trace))
                    yield return finding;
        }
    }
}
