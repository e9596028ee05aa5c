using System.Diagnostics;
using MentorStatus.Tooling.Declarative;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Schema;

/// <summary>
/// supabase/schemas describes the schema the migrations build: applied to one throwaway database, and the migrations to
/// another (each after the platform layer), the catalogs and the reference data agree. The check fails, saying what
/// differs, when a declarative file or a migration changes alone.
/// </summary>
public sealed class DeclarativeSchemaTests
{
    [Fact]
    public async Task TheMigrationsAndTheDeclarativeFilesAgree()
    {
        await using var bench = await DeclarativeWorkbench.CreateAsync(TestDatabases.Project, (await TestCluster.GetAsync()).Target());
        var comparison = await bench.CompareAsync();
        Assert.True(comparison.Agrees,
            comparison.Describe() + "\n  fix: describe the migrations' result in supabase/schemas (or write the migration `db diff -f NAME` drafts).");
    }

    [Fact]
    public async Task AChangedDeclarativeFileIsReported()
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Edit("schemas/60_expiry_job.sql", "interval '5 minutes'", "interval '6 minutes'");

        await using var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, (await TestCluster.GetAsync()).Target());
        var comparison = await bench.CompareAsync();

        Assert.False(comparison.Agrees);
        var lines = comparison.Differences.Where(d => d.Contains("refuse_as_of_in_the_future(timestamp with time zone)", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count); // the body as the migrations left it, and as the file has it
        Assert.StartsWith("- function mentor_status_private.refuse_as_of_in_the_future", lines[0]);
        Assert.StartsWith("+ function mentor_status_private.refuse_as_of_in_the_future", lines[1]);
        Assert.Equal(2, comparison.Differences.Count);
        Assert.Contains("disagree", comparison.Describe());
    }

    [Fact]
    public async Task AMigrationTheDeclarativeFilesDoNotDescribeIsReported()
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Project.AddMigration("20991231000000", "extra_reason_and_comment",
            "insert into public.mentor_status_reason_codes (code, description, actor_kind) values ('paused_for_training', 'Paused for training', 'coordinator');\n" +
            "comment on table public.chapters is 'A chapter.';\n");

        await using var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, (await TestCluster.GetAsync()).Target());
        var comparison = await bench.CompareAsync();

        Assert.Contains(comparison.Differences, d => d.StartsWith("- row public.mentor_status_reason_codes (paused_for_training,", StringComparison.Ordinal));
        Assert.Contains(comparison.Differences, d => d.StartsWith("- relation public.chapters ", StringComparison.Ordinal) && d.EndsWith("comment=A chapter.", StringComparison.Ordinal));
        Assert.Contains(comparison.Differences, d => d.StartsWith("+ relation public.chapters ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADeclarativeFileThatDoesNotApplyNamesTheFileAndTheLine()
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Edit("schemas/50_api.sql", "create or replace function public.allowed_status_changes",
            "select no_such_function();\ncreate or replace function public.allowed_status_changes");

        var error = await Assert.ThrowsAsync<DeclarativeSchemaException>(async () =>
            await DeclarativeWorkbench.CreateAsync(project.Layout, (await TestCluster.GetAsync()).Target()));
        var line = File.ReadAllLines(Path.Combine(project.Layout.SupabaseDirectory, "schemas", "50_api.sql")).ToList().IndexOf("select no_such_function();") + 1;
        Assert.Contains($"supabase/schemas/50_api.sql:{line}:", error.Message);
        Assert.Contains("42883", error.Message);
    }

    /// <summary>
    /// The real Supabase CLI (2.117) applies the project, supabase/schemas and [db.migrations] schema_paths included, and the
    /// result is exactly what the migrations build: the declarative files change nothing it applies.
    /// </summary>
    [Fact]
    public async Task TheSupabaseCliAppliesOnlyTheMigrations()
    {
        var target = await TestDatabases.PlatformAsync("cli_declarative");
        var cli = Path.Combine(TestDatabases.Project.Root, ".tools", "node_modules", ".bin", "supabase");
        Assert.True(File.Exists(cli), "the Supabase CLI is not installed: run scripts/test.sh (it installs it into .tools/)");
        var info = new ProcessStartInfo(cli, ["migration", "up", "--db-url", target.Url + "?sslmode=disable", "--workdir", TestDatabases.Project.Root])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var process = Process.Start(info)!)
        {
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, output);
            Assert.DoesNotContain("schemas/", output);
        }

        var migrated = await TestDatabases.MigratedAsync("cli_declarative_ref");
        await using var byCli = target.CreateDataSource();
        await using var byEngine = migrated.CreateDataSource();
        var comparison = await SchemaComparison.CompareAsync(byEngine, byCli, ["public"]);
        Assert.True(comparison.Agrees, comparison.Describe("this engine's migrations", "the Supabase CLI's"));
    }
}

/// <summary>A throwaway copy of the repository's supabase/ folder (migrations, rollbacks, schemas, config.toml).</summary>
internal sealed class DeclarativeProjects : IDisposable
{
    public TempProject Project { get; } = TempProject.CopyOfRepository();
    public MentorStatus.Database.ProjectLayout Layout => Project.Layout;

    public static DeclarativeProjects CopyOfRepository()
    {
        var copy = new DeclarativeProjects();
        var schemas = Path.Combine(copy.Layout.SupabaseDirectory, "schemas");
        Directory.CreateDirectory(schemas);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestDatabases.Project.SupabaseDirectory, "schemas")))
            File.Copy(file, Path.Combine(schemas, Path.GetFileName(file)));
        File.Copy(Path.Combine(TestDatabases.Project.SupabaseDirectory, "config.toml"), Path.Combine(copy.Layout.SupabaseDirectory, "config.toml"), overwrite: true);
        return copy;
    }

    /// <summary>Replaces <paramref name="find"/> (which must occur) in supabase/<paramref name="file"/>.</summary>
    public void Edit(string file, string find, string replacement)
    {
        var path = Path.Combine(Layout.SupabaseDirectory, file);
        var text = File.ReadAllText(path);
        Assert.Contains(find, text);
        File.WriteAllText(path, text.Replace(find, replacement, StringComparison.Ordinal));
    }

    public void Dispose() => Project.Dispose();
}
