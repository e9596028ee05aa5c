using System.Diagnostics;
using System.Text;
using MentorStatus.Database;
using MentorStatus.Database.Lint;
using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// `db lint --all` (issue 14): on a cluster of its own, the project's own migrations (target under 10 s) and a generated
/// project of 100 migrations (target under 60 s; 10 at the CI size) in the shapes of a real Supabase project — tables
/// with RLS and policies, foreign keys, indexes, security definer helpers, columns added under lock_timeout, views — each
/// with its rollback. Baseline from the same run: applying the same 100 files with the runner (`db up`) on a fresh database,
/// which is what the lint does once per file plus tracing, clones and the rollback check.
/// </summary>
public static class LintCase
{
    public const string Id = "db_lint";

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "`db lint --all`: the project's migrations, and 100 generated migrations");
        var count = ctx.Size.Name == "ci" ? 10 : 100;
        var generated = Path.Combine(ctx.WorkDirectory, "lint-project");
        var layout = GenerateProject(generated, count);
        var own = new List<double>();
        var lint = new List<double>();
        var apply = new List<double>();
        await using var cluster = await BenchCluster.CreateAsync("lint", null, ct);
        await cluster.StartAsync(ct);
        var server = cluster.Target("postgres");
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            ctx.Say($"db lint, run {run}/{ctx.Size.Runs}: the project's migrations, {count} generated ones, then `db up` of the same…");
            var clock = Stopwatch.StartNew();
            var ownReport = await new MigrationLinter(ctx.Layout, server, new LintOptions { All = true }).LintAsync(ct);
            own.Add(clock.Elapsed.TotalSeconds);
            if (ownReport.Failed) throw new InvalidOperationException("the project's own migrations do not lint clean:\n" + LintReportFormats.Text(ownReport));

            clock.Restart();
            var report = await new MigrationLinter(layout, server, new LintOptions { All = true }).LintAsync(ct);
            lint.Add(clock.Elapsed.TotalSeconds);
            if (report.Migrations.Count != count || report.Findings.Count > 0)
                throw new InvalidOperationException($"the generated project must lint clean ({count} files):\n" + LintReportFormats.Text(report));

            var database = $"lint_apply_{run}";
            await ExecAsync(server, $"drop database if exists {database} with (force)", ct);
            await ExecAsync(server, $"create database {database}", ct);
            clock.Restart();
            await new DatabaseWorkflow(layout, cluster.Target(database)).UpAsync(ct);
            apply.Add(clock.Elapsed.TotalSeconds);
            await ExecAsync(server, $"drop database {database} with (force)", ct);
        }
        var ownFiles = Directory.EnumerateFiles(ctx.Layout.MigrationsDirectory, "*.sql").Count();
        result.Figures.Add(Figures.Compare(Id, $"wall time, db lint --all of the project's {ownFiles} migrations", "s", own,
            null, null, "< 10 s", (v, _, _) => v < 10, (v, _, _) => v < 10 ? $"met: {v:F1} s" : $"missed: {v:F1} s"));
        result.Figures.Add(Figures.Compare(Id, $"wall time, db lint --all of {count} generated migrations", "s", lint,
            $"db up of the same {count} files", apply, count == 100 ? "< 60 s" : "(100 files at small/full size)",
            (v, _, _) => count == 100 ? v < 60 : null,
            (v, _, q) => (count == 100 ? (v < 60 ? "met" : "missed") + ": " : "") + $"{v:F1} s, {q:F1}× the plain apply"));
        result.Notes.Add($"A cluster of its own with the default server settings. Each generated file holds about 8 statements; " +
                         "the lint replays each statement under a savepoint, reads locks and the catalog after it, clones a database per file " +
                         "and runs the rollback with a schema comparison. The machine is shared (2 cores, other work running): read the ratio, not the seconds.");
        return result;
    }

    /// <summary>A project of <paramref name="count"/> migrations and their rollbacks, linting clean under `deploy = "db up"`.</summary>
    private static ProjectLayout GenerateProject(string root, int count)
    {
        var layout = new ProjectLayout(root);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(layout.MigrationsDirectory);
        Directory.CreateDirectory(layout.RollbacksDirectory);
        File.WriteAllText(Path.Combine(layout.SupabaseDirectory, "config.toml"), "project_id = \"lint-bench\"\n");
        File.WriteAllText(Path.Combine(layout.SupabaseDirectory, LintSettings.FileName), "[lint]\ndeploy = \"db up\"\nlock_timeout = \"10s\"\n");
        for (var i = 0; i < count; i++)
        {
            var name = $"{new DateTime(2025, 1, 1).AddMinutes(i):yyyyMMddHHmm}00_step_{i:000}.sql";
            var (up, down) = Migration(i);
            File.WriteAllText(Path.Combine(layout.MigrationsDirectory, name), up);
            File.WriteAllText(Path.Combine(layout.RollbacksDirectory, name), down);
        }
        return layout;
    }

    /// <summary>Every fourth file alters the table of the file before it; the others create a table with its policies and helpers.</summary>
    private static (string Up, string Down) Migration(int i)
    {
        var up = new StringBuilder();
        var down = new StringBuilder();
        if (i % 4 == 3)
        {
            var t = $"public.item_{i - 1:000}";
            up.AppendLine(CultureInfo.InvariantCulture, $"alter table {t} add column note text;");
            up.AppendLine(CultureInfo.InvariantCulture, $"comment on column {t}.note is 'Free text.';");
            up.AppendLine(CultureInfo.InvariantCulture, $"alter table {t} add constraint item_{i - 1:000}_note_length check (char_length(note) < 500) not valid;");
            down.AppendLine(CultureInfo.InvariantCulture, $"alter table {t} drop constraint item_{i - 1:000}_note_length;");
            down.AppendLine(CultureInfo.InvariantCulture, $"alter table {t} drop column note;");
            return (up.ToString(), down.ToString());
        }
        var table = $"public.item_{i:000}";
        var parent = i >= 4 && i % 4 == 1 ? $"public.item_{i - 1:000}" : null;
        up.AppendLine(CultureInfo.InvariantCulture, $"create table {table} (");
        up.AppendLine("  id bigint generated always as identity primary key,");
        up.AppendLine("  owner_id uuid not null references auth.users (id) on delete cascade,");
        if (parent is not null) up.AppendLine(CultureInfo.InvariantCulture, $"  parent_id bigint references {parent} (id) on delete cascade,");
        up.AppendLine("  name text not null,");
        up.AppendLine("  created_at timestamptz not null default now()");
        up.AppendLine(");");
        up.AppendLine(CultureInfo.InvariantCulture, $"comment on table {table} is 'Generated table {i}.';");
        up.AppendLine(CultureInfo.InvariantCulture, $"alter table {table} enable row level security;");
        up.AppendLine(CultureInfo.InvariantCulture, $"create index item_{i:000}_owner_idx on {table} (owner_id);");
        up.AppendLine(CultureInfo.InvariantCulture, $"create policy item_{i:000}_select_own on {table} for select to authenticated using ((select auth.uid()) = owner_id);");
        up.AppendLine(CultureInfo.InvariantCulture, $"create policy item_{i:000}_insert_own on {table} for insert to authenticated with check ((select auth.uid()) = owner_id);");
        up.AppendLine(CultureInfo.InvariantCulture, $"create function public.item_{i:000}_count() returns bigint language sql stable set search_path = pg_catalog, pg_temp as $$ select count(*) from {table} $$;");
        up.AppendLine(CultureInfo.InvariantCulture, $"create view public.item_{i:000}_names with (security_invoker = true) as select id, name from {table};");
        down.AppendLine(CultureInfo.InvariantCulture, $"drop view public.item_{i:000}_names;");
        down.AppendLine(CultureInfo.InvariantCulture, $"drop function public.item_{i:000}_count();");
        down.AppendLine(CultureInfo.InvariantCulture, $"drop table {table};");
        return (up.ToString(), down.ToString());
    }

    private static async Task ExecAsync(DatabaseTarget server, string sql, CancellationToken ct)
    {
        await using var dataSource = server.CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }
}
