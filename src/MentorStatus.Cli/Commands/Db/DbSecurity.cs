using System.CommandLine;
using MentorStatus.Cli.Output;
using MentorStatus.Database;
using MentorStatus.Tooling.Rules;
using MentorStatus.Tooling.Security;

namespace MentorStatus.Cli.Commands.Db;

/// <summary>`db security`: checks the database's catalog against the security rules; findings at the --fail-on level (default WARN) or above fail (exit 1).</summary>
internal static class DbSecurity
{
    public static async Task<int> RunAsync(DatabaseTarget target, SecurityScope scope, RuleLevel failOn, CommandOutput output, CancellationToken ct)
    {
        await using var dataSource = target.CreateDataSource();
        var report = await SecurityInvariants.CheckAsync(dataSource, scope, ct: ct) with { FailOn = failOn };
        if (output.IsJson)
        {
            output.WriteJson(new
            {
                ok = !report.Failed,
                exposedSchemas = scope.ExposedSchemas,
                failOn = failOn.SplinterWord(),
                findings = report.Findings.Select(f => new
                {
                    rule = f.Rule, level = f.Level.SplinterWord(), @object = f.Object, detail = f.Detail,
                    fix = f.Fix, fails = report.Fails(f), acknowledged = f.Acknowledged,
                }),
            });
        }
        else
        {
            foreach (var finding in report.Findings.OrderByDescending(report.Fails).ThenByDescending(f => f.Level))
            {
                var line = $"{finding.Level.SplinterWord()} {finding}";
                if (report.Fails(finding)) output.Error($"{line}\n  fix: {finding.Fix}");
                else output.Info(finding.Acknowledged is { } reason ? $"{line} (acknowledged: {reason})" : line);
            }
            if (!report.Failed) output.Success($"security rules hold ({SecurityRules.All.Count} rules; exposed schemas: {string.Join(", ", scope.ExposedSchemas)})");
        }
        return report.Failed ? CommandAction.Failed : CommandAction.Ok;
    }

    /// <summary>The project's exposed schemas when run inside a project; Supabase's defaults otherwise (e.g. only --db-url).</summary>
    public static SecurityScope ScopeOf(ParseResult parse)
    {
        ProjectLayout layout;
        try { layout = GlobalOptions.Layout(parse); }
        catch (DirectoryNotFoundException) { return SecurityScope.Default; }
        return SecurityScope.ForProject(layout);
    }
}
