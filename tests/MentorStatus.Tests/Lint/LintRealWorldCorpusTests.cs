using MentorStatus.Tooling.Lint;
using MentorStatus.Tests.Infrastructure;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// RealWorld/&lt;project&gt;: public Supabase projects' migration sets (licence, repository, commit and path in each README),
/// linted with `db lint --all`: no crash, no finding from the replay environment (MS000 for what hosted Supabase has), and
/// exactly the findings reviewed in findings.txt (each marked `kept`, a true hazard, or `known limit`). The migration files
/// themselves are third-party code and are not committed: the test reads them from MENTORSTATUS_LINT_CORPUS/&lt;project&gt;/
/// or ../shared/lint-corpus/&lt;project&gt;/ beside the checkout, and checks their SHA-256 against the README's list.
/// </summary>
public sealed class LintRealWorldCorpusTests(ITestOutputHelper output)
{
    public static TheoryData<string> Projects() =>
        new(Directory.EnumerateDirectories(RealWorldDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    private static string RealWorldDirectory => Path.Combine(Path.GetDirectoryName(LintHarness.CorpusDirectory)!, "RealWorld");

    /// <summary>Where the project's migrations are, or null when this machine has no copy of the corpus.</summary>
    private static string? MigrationsOf(string project)
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("MENTORSTATUS_LINT_CORPUS") is { Length: > 0 } configured) roots.Add(configured);
        var repo = Path.GetFullPath(Path.Combine(RealWorldDirectory, "..", "..", "..", ".."));
        roots.Add(Path.Combine(Path.GetDirectoryName(repo)!, "shared", "lint-corpus"));
        return roots.Select(r => Path.Combine(r, project, "supabase", "migrations")).FirstOrDefault(Directory.Exists);
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public async Task RealProjectLintsToItsReviewedFindings(string project)
    {
        var directory = Path.Combine(RealWorldDirectory, project);
        var reviewed = File.ReadAllLines(Path.Combine(directory, "findings.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.All(reviewed, l => Assert.Matches(@"^MS\d{3} \S+:\d+ (kept|known limit): .+", l));
        if (MigrationsOf(project) is not { } migrations)
        {
            output.WriteLine($"{project}: the corpus copy is not on this machine (MENTORSTATUS_LINT_CORPUS or ../shared/lint-corpus); not linted");
            return;
        }

        // the copy must be the reviewed one: the README lists each file's SHA-256
        var sums = File.ReadAllLines(Path.Combine(directory, "README.md"))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^([0-9a-f]{64})  (\S+\.sql)$")).Where(m => m.Success)
            .ToDictionary(m => m.Groups[2].Value, m => m.Groups[1].Value);
        var files = Directory.EnumerateFiles(migrations, "*.sql").ToList();
        Assert.Equal(sums.Keys.Order(StringComparer.Ordinal), files.Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal));
        foreach (var file in files)
            Assert.Equal(sums[Path.GetFileName(file)!], Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file))));

        using var copy = new TempProject();
        foreach (var file in Directory.EnumerateFiles(migrations, "*.sql"))
            File.Copy(file, Path.Combine(copy.Layout.MigrationsDirectory, Path.GetFileName(file)));
        foreach (var settings in new[] { "config.toml", "lint.toml" })
            File.Copy(Path.Combine(directory, settings), Path.Combine(copy.Layout.SupabaseDirectory, settings), overwrite: true);
        var target = await LintHarness.JournalDatabaseAsync();
        var report = await new MigrationLinter(copy.Layout, target, new LintOptions { All = true }).LintAsync();

        output.WriteLine($"{project}: {report.Migrations.Count} migrations, {report.Findings.Count} findings");
        // no finding from the replay environment: every statement that runs on hosted Supabase replays
        Assert.Contains(report.Notes, n => n.StartsWith("replay: ", StringComparison.Ordinal));
        foreach (var note in report.Notes) output.WriteLine("  note: " + note);
        var found = report.Findings.Select(f => $"{f.Rule.Id} {Path.GetFileName(f.File)}:{f.Line}").Order(StringComparer.Ordinal).ToList();
        var expected = reviewed.Select(l => string.Join(' ', l.Split(' ')[..2])).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(found),
            $"{project}: findings differ from findings.txt\nfound:\n  {string.Join("\n  ", found)}\nreviewed:\n  {string.Join("\n  ", expected)}\n\n" + LintReportFormats.Text(report));
    }
}
