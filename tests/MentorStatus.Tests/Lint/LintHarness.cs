using System.Text.RegularExpressions;
using MentorStatus.Tooling.Lint;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// Lints one migration on top of the corpus's "existing" schema (Corpus/_existing.sql): a temp project holds
/// both, and a target database whose journal lists the existing-schema migration as applied, so only the
/// migration under test is pending and linted, exactly as `db lint` without --all does.
/// </summary>
internal static partial class LintHarness
{
    public const string ExistingVersion = "20260101000000";
    public const string CaseVersion = "20260101000100";
    private static int _counter;

    /// <summary>`-- expect: MS001` on the statement's first line, or `-- expect: MS016 @1` naming the line.</summary>
    [GeneratedRegex(@"--\s*expect:\s*(?<rule>MS\d{3})(?:\s*@(?<line>\d+))?")]
    private static partial Regex Expectation();

    public static string CorpusDirectory { get; } = FindCorpus();

    public static string CasePath(string relative) => Path.Combine(CorpusDirectory, relative);

    public static IEnumerable<(string Rule, int Line)> Expectations(string sql) =>
        sql.Split('\n').Select((text, i) => (m: Expectation().Match(text), line: i + 1))
            .Where(x => x.m.Success)
            .Select(x => (x.m.Groups["rule"].Value, x.m.Groups["line"].Success ? int.Parse(x.m.Groups["line"].Value, CultureInfo.InvariantCulture) : x.line));

    public static async Task<LintReport> LintCaseAsync(string relativePath, LintOptions? options = null)
    {
        var path = CasePath(relativePath);
        var rollback = Path.ChangeExtension(path, null) + ".rollback.sql";
        return await LintSqlAsync(await File.ReadAllTextAsync(path), File.Exists(rollback) ? await File.ReadAllTextAsync(rollback) : null, options);
    }

    public static async Task<LintReport> LintSqlAsync(string sql, string? rollback, LintOptions? options = null)
    {
        using var project = new TempProject();
        project.AddMigration(ExistingVersion, "existing", await File.ReadAllTextAsync(CasePath("_existing.sql")),
            "drop function public.thing_total();\ndrop table public.events;\ndrop schema reporting cascade;\ndrop table public.audit_log;\n" +
            "drop table public.things;\ndrop table public.owners;\ndrop domain public.short_label;\n");
        project.AddMigration(CaseVersion, "case", sql, rollback);
        var target = await JournalDatabaseAsync(ExistingVersion);
        return await new MigrationLinter(project.Layout, target, options).LintAsync();
    }

    /// <summary>
    /// Lints every migration (`db lint --all`; with <see cref="LintOptions.Applied"/>, the others) of a temp project that holds <paramref name="migrations"/> and, when given,
    /// a supabase/lint.toml and further files (relative path → content, e.g. a CI workflow).
    /// </summary>
    public static async Task<LintReport> LintProjectAsync(IEnumerable<(string Version, string Name, string Sql, string? Rollback)> migrations,
        string? lintToml = null, IReadOnlyDictionary<string, string>? files = null, LintOptions? options = null)
    {
        using var project = new TempProject();
        foreach (var (version, name, sql, rollback) in migrations) project.AddMigration(version, name, sql, rollback);
        if (lintToml is not null) await File.WriteAllTextAsync(Path.Combine(project.Layout.SupabaseDirectory, LintSettings.FileName), lintToml);
        foreach (var (path, content) in files ?? new Dictionary<string, string>())
        {
            var full = Path.Combine(project.Layout.Root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await File.WriteAllTextAsync(full, content);
        }
        var target = await JournalDatabaseAsync();
        // `db lint --all`, unless the options name the applied versions (pending mode: only the others are judged).
        return await new MigrationLinter(project.Layout, target, options is { Applied: not null } ? options : (options ?? new LintOptions()) with { All = true }).LintAsync();
    }

    /// <summary>A database on the test cluster whose Supabase journal lists <paramref name="applied"/>.</summary>
    public static async Task<MentorStatus.Database.DatabaseTarget> JournalDatabaseAsync(params string[] applied)
    {
        var cluster = await TestCluster.GetAsync();
        var name = $"lint_target_{Interlocked.Increment(ref _counter)}";
        await using (var admin = cluster.Target().CreateDataSource())
            await admin.ExecuteAsync($"create database \"{name}\" template template0");
        var target = cluster.Target(name);
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync(MigrationJournal.CreateJournal);
        foreach (var version in applied)
            await dataSource.ExecuteAsync("insert into supabase_migrations.schema_migrations (version, name) values ($1, 'applied')", version);
        return target;
    }

    private static string FindCorpus()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var corpus = Path.Combine(dir.FullName, "tests", "MentorStatus.Tests", "Lint", "Corpus");
            if (Directory.Exists(corpus)) return corpus;
        }
        throw new DirectoryNotFoundException("tests/MentorStatus.Tests/Lint/Corpus not found above " + AppContext.BaseDirectory);
    }
}
