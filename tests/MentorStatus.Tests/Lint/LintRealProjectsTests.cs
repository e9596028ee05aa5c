using MentorStatus.Database;
using MentorStatus.Tooling.Lint;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// RealProjects/*/supabase: migrations written in the shapes real Supabase projects use (profiles referencing auth.users,
/// the new-user trigger, storage buckets and policies, pgcrypto and uuid-ossp called unqualified, pg_cron schedules,
/// RLS with auth.jwt() claims, enum additions, security-invoker views, concurrent indexes), deployed with
/// `supabase db push` and without down scripts (their lint.toml says so). `db lint --all` must report nothing on them:
/// every finding there would be a false alarm.
/// </summary>
public sealed class LintRealProjectsTests
{
    public static TheoryData<string> Projects() => new(Directory.EnumerateDirectories(RealProjectsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    private static string RealProjectsDirectory => Path.Combine(Path.GetDirectoryName(LintHarness.CorpusDirectory)!, "RealProjects");

    [Fact]
    public void CorpusHoldsAtLeastTwentyMigrations() =>
        Assert.True(Directory.EnumerateFiles(RealProjectsDirectory, "*.sql", SearchOption.AllDirectories).Count() >= 20);

    [Theory]
    [MemberData(nameof(Projects))]
    public async Task RealProjectLintsWithoutAFinding(string project)
    {
        var layout = new ProjectLayout(Path.Combine(RealProjectsDirectory, project));
        var target = await LintHarness.JournalDatabaseAsync();
        var report = await new MigrationLinter(layout, target, new LintOptions { All = true }).LintAsync();
        Assert.Equal(Directory.EnumerateFiles(layout.MigrationsDirectory, "*.sql").Count(), report.Migrations.Count);
        Assert.True(report.Findings.Count == 0, LintReportFormats.Text(report));
        Assert.Contains(report.Notes, n => n.Contains("supabase db push"));
    }
}
