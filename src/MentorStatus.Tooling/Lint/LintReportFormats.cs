using System.Text.Json;
using System.Text;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public enum LintFormat { Text, Json, Github, Sarif }

/// <summary>
/// The report as text for people (rule id, file:line, statement, why, fix, then a summary), JSON for
/// scripts, GitHub workflow commands (`::error file=…,line=…,title=MS001::…`) that annotate a pull request,
/// or SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`). SARIF is written with
/// System.Text.Json: the few properties code scanning reads need no SDK (Sarif.Sdk does not restore here).
/// </summary>
public static class LintReportFormats
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public static string Render(LintReport report, LintFormat format) => format switch
    {
        LintFormat.Json => Json(report),
        LintFormat.Github => Github(report),
        LintFormat.Sarif => Sarif(report),
        _ => Text(report),
    };

    public static string Text(LintReport report)
    {
        var text = new StringBuilder();
        foreach (var f in report.Findings.OrderBy(f => f.File, StringComparer.Ordinal).ThenBy(f => f.Line))
        {
            var level = f.IsAcknowledged ? "acknowledged" : f.Level.Word();
            text.AppendLine(CultureInfo.InvariantCulture, $"{level}[{f.Rule.Id}]: {f.Rule.Title}");
            text.AppendLine(CultureInfo.InvariantCulture, $"  --> {f.File}:{f.Line}{(f.StatementNumber is { } n ? $" (statement {n})" : "")}");
            if (f.Statement is not null) text.AppendLine(CultureInfo.InvariantCulture, $"   | {f.Statement}");
            text.AppendLine(CultureInfo.InvariantCulture, $"   = found: {f.Message.Replace("\n", "\n     ")}");
            if (f.Note is not null) text.AppendLine(CultureInfo.InvariantCulture, $"   = note: {f.Note}");
            if (f.IsAcknowledged) text.AppendLine(CultureInfo.InvariantCulture, $"   = acknowledged because {f.AcknowledgedBecause}");
            else
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"   = why: {f.Rule.Why}");
                text.AppendLine(CultureInfo.InvariantCulture, $"   = fix: {f.Fix}");
            }
            text.AppendLine();
        }
        foreach (var note in report.Notes.Concat(report.Migrations.SelectMany(m => m.Notes)))
            text.AppendLine(CultureInfo.InvariantCulture, $"note: {note}");
        text.AppendLine(Summary(report));
        return text.ToString();
    }

    public static string Summary(LintReport report) =>
        $"{(report.Failed ? "✗" : "✓")} {report.Migrations.Count} migration(s) linted: " +
        $"{report.Errors} error(s), {report.Warnings} warning(s), {report.Acknowledged} acknowledged" +
        (report.FailOn == RuleLevels.LintDefaultFailOn ? "" : $" (--fail-on {report.FailOn.Word()})");

    public static string Json(LintReport report) => JsonSerializer.Serialize(new
    {
        migrations = report.Migrations.Select(m => new { version = m.Version, file = m.File, rollback = m.Rollback, notes = m.Notes }),
        findings = report.Findings.Select(f => new
        {
            rule = f.Rule.Id,
            level = f.Level.Word(),
            title = f.Rule.Title,
            file = f.File,
            line = f.Line,
            statement_number = f.StatementNumber,
            statement = f.Statement,
            message = f.Message,
            note = f.Note,
            why = f.Rule.Why,
            fix = f.Fix,
            acknowledged_because = f.AcknowledgedBecause,
        }),
        notes = report.Notes,
        summary = new { errors = report.Errors, warnings = report.Warnings, acknowledged = report.Acknowledged, failed = report.Failed, fail_on = report.FailOn.Word() },
    }, JsonOptions);

    /// <summary>One workflow command per unacknowledged finding; data and properties escaped as GitHub requires.</summary>
    public static string Github(LintReport report)
    {
        var text = new StringBuilder();
        foreach (var f in report.Findings.Where(f => !f.IsAcknowledged))
        {
            var command = f.Level switch { RuleLevel.Error => "error", RuleLevel.Warning => "warning", _ => "notice" };
            var message = $"{f.Rule.Title}: {f.Message}\n{f.Statement}\nwhy: {f.Rule.Why}\nfix: {f.Fix}";
            text.AppendLine(CultureInfo.InvariantCulture, $"::{command} file={Property(f.File)},line={f.Line},title={Property(f.Rule.Id)}::{Data(message)}");
        }
        text.AppendLine(Summary(report));
        return text.ToString();
    }

    /// <summary>
    /// SARIF 2.1.0: one run, the rules with their help, one result per finding (acknowledged ones carry an
    /// accepted suppression with the reason, so code scanning shows them as dismissed), locations relative to the project root.
    /// </summary>
    public static string Sarif(LintReport report) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
        ["version"] = "2.1.0",
        ["runs"] = new[]
        {
            new
            {
                tool = new
                {
                    driver = new
                    {
                        name = "mentorstatus db lint",
                        rules = LintRules.All.Select(r => new
                        {
                            id = r.Id,
                            name = r.Title,
                            shortDescription = new { text = r.Title },
                            fullDescription = new { text = r.Why },
                            help = new { text = $"{r.Why}\nFix: {r.Fix}", markdown = $"{r.Why}\n\n**Fix:** {r.Fix}" },
                            defaultConfiguration = new { level = SarifLevel(r.Level) },
                        }),
                    },
                },
                originalUriBaseIds = new Dictionary<string, object> { ["PROJECTROOT"] = new { description = new { text = "the project folder (the one holding supabase/)" } } },
                results = report.Findings.Select(f => new Dictionary<string, object?>
                {
                    ["ruleId"] = f.Rule.Id,
                    ["ruleIndex"] = LintRules.All.ToList().IndexOf(f.Rule),
                    ["level"] = SarifLevel(f.Level),
                    ["message"] = new { text = $"{f.Message}\nFix: {f.Fix}" },
                    ["locations"] = new[]
                    {
                        new
                        {
                            physicalLocation = new
                            {
                                artifactLocation = new { uri = f.File.Replace('\\', '/'), uriBaseId = "PROJECTROOT" },
                                region = new { startLine = f.Line },
                            },
                        },
                    },
                    ["suppressions"] = f.IsAcknowledged
                        ? new[] { new { kind = "inSource", status = "accepted", justification = f.AcknowledgedBecause } }
                        : null,
                }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value)),
            },
        },
    }, JsonOptions);

    private static string SarifLevel(RuleLevel level) => level switch { RuleLevel.Error => "error", RuleLevel.Warning => "warning", _ => "note" };

    private static string Data(string value) => value.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");
    private static string Property(string value) => Data(value).Replace(":", "%3A").Replace(",", "%2C");
}
