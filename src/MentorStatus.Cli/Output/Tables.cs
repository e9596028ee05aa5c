using MentorStatus.Database.Migrations;
using MentorStatus.Tooling.Testing;
using Spectre.Console;

namespace MentorStatus.Cli.Output;

/// <summary>The tables the db verbs print.</summary>
internal static class Tables
{
    public static Table Results(IEnumerable<MigrationResult> results, string title)
    {
        var table = new Table().Title(title).Border(TableBorder.Rounded)
            .AddColumns("version", "name", "action", "statements", "time", "note");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Version), Markup.Escape(r.Name), r.Action.ToString().ToLowerInvariant(), r.Statements.ToString(CultureInfo.InvariantCulture),
                $"{r.Duration.TotalMilliseconds:0} ms", Markup.Escape(r.Note ?? ""));
        return table;
    }

    public static Table Status(MigrationPlan plan)
    {
        var table = new Table().Title("migrations").Border(TableBorder.Rounded).AddColumns("version", "name", "state", "rollback");
        var outOfOrder = plan.OutOfOrder.ToHashSet();
        foreach (var s in plan.States)
        {
            var state = s switch
            {
                { IsDrifted: true } => "[red]applied, file changed since[/]",
                { IsLocal: false } => "[red]applied, no local file[/]",
                { IsApplied: true } => "[green]applied[/]",
                _ when outOfOrder.Contains(s.Version) => "[yellow]pending, out of order[/]",
                _ => "[yellow]pending[/]",
            };
            table.AddRow(Markup.Escape(s.Version), Markup.Escape(s.Name), state, s.HasRollback ? "yes" : "[red]missing[/]");
        }
        return table;
    }

    public static Table Tests(IEnumerable<PgTapFileResult> results)
    {
        var table = new Table().Title("pgTAP").Border(TableBorder.Rounded).AddColumns("file", "result", "tests", "time");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.File), r.Ok ? "[green]ok[/]" : "[red]FAILED[/]", Markup.Escape(r.Summary), $"{r.Duration.TotalMilliseconds:0} ms");
        return table;
    }
}
