using MentorStatus.Tooling.Lint;

namespace MentorStatus.Tests.Lint;

/// <summary>Point 6: which lock_timeout counts is read from the project (supabase/lint.toml, CI files), strict by default, and said in the report.</summary>
public sealed class LintSettingsTests
{
    private static readonly (string, string, string, string?)[] AddColumnToExisting =
    [
        ("20260101000000", "base", "create table public.items (id bigint primary key);\nalter table public.items enable row level security;\n", "drop table public.items;\n"),
        ("20260101000100", "add_note", "alter table public.items add column note text;\n", "alter table public.items drop column note;\n"),
    ];

    private static bool HasMs005(LintReport report) => report.Findings.Any(f => f.Rule.Id == "MS005" && f.File.Contains("add_note"));

    [Fact]
    public async Task WithoutSettingsTheStrictReadingAppliesAndIsNamed()
    {
        var report = await LintHarness.LintProjectAsync(AddColumnToExisting);
        Assert.True(HasMs005(report), LintReportFormats.Text(report));
        Assert.Contains(report.Notes, n => n.StartsWith("lock_timeout: strict (the default", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeployWithDbUpCountsItsSessionLockTimeout()
    {
        var report = await LintHarness.LintProjectAsync(AddColumnToExisting, "[lint]\ndeploy = \"db up\"\nlock_timeout = \"4s\"\n");
        Assert.False(HasMs005(report), LintReportFormats.Text(report));
        Assert.Contains(report.Notes, n => n.Contains("deploys with `db up`") && n.Contains("lock_timeout = 4s"));
    }

    [Fact]
    public async Task DeployWithSupabaseDbPushIsStrict()
    {
        var report = await LintHarness.LintProjectAsync(AddColumnToExisting, "[lint]\ndeploy = \"supabase db push\"\n");
        Assert.True(HasMs005(report));
        Assert.Contains(report.Notes, n => n.Contains("deploys with `supabase db push`"));
    }

    [Fact]
    public async Task CiThatRunsSupabaseDbPushWinsOverLintToml()
    {
        var workflow = "name: deploy\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: supabase db push --db-url \"$DB\"\n";
        var report = await LintHarness.LintProjectAsync(AddColumnToExisting, "[lint]\ndeploy = \"db up\"\n",
            new Dictionary<string, string> { [".github/workflows/deploy.yml"] = workflow });
        Assert.True(HasMs005(report));
        Assert.Contains(report.Notes, n => n.Contains(".github/workflows/deploy.yml") && n.Contains("supabase db push"));
    }

    [Fact]
    public async Task CommandLineOverridesTheProject()
    {
        var report = await LintHarness.LintProjectAsync(AddColumnToExisting, "[lint]\ndeploy = \"db up\"\n",
            options: new LintOptions { LockTimeout = LockTimeoutOverride.Strict });
        Assert.True(HasMs005(report));
    }

    [Theory]
    [InlineData("[lint]\ndeploy = \"kubectl apply\"\n", "deploy = \"kubectl apply\" is not known")]
    [InlineData("[lint]\ndeploy = \"db up\"\nlock_timeout = \"soon\"\n", "is not a duration")]
    [InlineData("[lint]\ndeploy = \"db up\"\nlock_timeout = \"0s\"\n", "must be more than 0")]
    [InlineData("[lint]\nrequire_rollback = false\n", "unknown key `require_rollback`")]
    [InlineData("[lint\n", "is not valid TOML")]
    public async Task BadSettingIsNamedWithItsFix(string toml, string expected)
    {
        var error = await Assert.ThrowsAsync<LintSettingsException>(() => LintHarness.LintProjectAsync(AddColumnToExisting, toml));
        Assert.Contains("supabase/lint.toml", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task ExposedSchemasComeFromConfigToml()
    {
        // A view in schema `api` reads an RLS table as its owner: a finding only when config.toml exposes `api`.
        (string, string, string, string?)[] migrations =
        [
            ("20260101000000", "api_view",
                "create table public.items (id bigint primary key);\nalter table public.items enable row level security;\n" +
                "create schema api;\ngrant usage on schema api to anon, authenticated;\n" +
                "create view api.items as select id from public.items;\ngrant select on api.items to anon;\n", null),
        ];
        var hidden = await LintHarness.LintProjectAsync(migrations, "[lint]\nrequire_rollbacks = false\n");
        var exposed = await LintHarness.LintProjectAsync(migrations, "[lint]\nrequire_rollbacks = false\n",
            new Dictionary<string, string> { ["supabase/config.toml"] = "project_id = \"x\"\n\n[api]\nschemas = [\"public\", \"api\"]\n" });
        var overridden = await LintHarness.LintProjectAsync(migrations, "[lint]\nrequire_rollbacks = false\nexposed_schemas = [\"api\"]\n");
        Assert.DoesNotContain(hidden.Findings, f => f.Rule.Id == "MS019");
        Assert.Contains(exposed.Findings, f => f.Rule.Id == "MS019" && f.Message.Contains("api.items"));
        Assert.Contains(overridden.Findings, f => f.Rule.Id == "MS019" && f.Message.Contains("api.items"));
    }
}
