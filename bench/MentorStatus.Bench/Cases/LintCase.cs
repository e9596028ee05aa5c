using System.Diagnostics;
using System.Text;
using MentorStatus.Database;
using MentorStatus.Tooling.Lint;
using MentorStatus.Database.Migrations;
using MentorStatus.Database.Platform;
using MentorStatus.Tooling.Platform;
using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// `db lint --all` against the plain apply it traces: on a cluster of its own, in one run, the project's own migrations and a
/// generated project of 100 migrations (10 at the CI size) in the shapes of a real Supabase project — tables with RLS and
/// policies, foreign keys, indexes, security definer helpers, columns added under lock_timeout, views — each with its
/// rollback. Baseline from the same run and server: `psql -f` (the same PostgreSQL 15 install's psql) of the same files,
/// file by file, each with `-X -q -v ON_ERROR_STOP=1 -1` (a file that cannot run in a transaction without `-1`, as the
/// runner applies it), on a fresh database that already holds the platform layer and hosted Supabase's objects (made
/// before the clock starts; the lint makes its own inside its time). Targets: the lint ≤ 5× that apply, and ≤ 30 s for 100
/// files. The report also gives where the lint's time goes, by phase (median of the runs).
/// </summary>
public static class LintCase
{
    public const string Id = "db_lint";

    private sealed record Side(List<double> Lint, List<double> Psql, List<LintPhaseTimes> Phases)
    {
        public Side() : this([], [], []) { }
    }

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, "`db lint --all` vs `psql -f` of the same files: the project's migrations, and 100 generated migrations");
        var count = ctx.Size.Name == "ci" ? 10 : 100;
        var generated = Path.Combine(ctx.WorkDirectory, "lint-project");
        var layout = GenerateProject(generated, count);
        var own = new Side();
        var gen = new Side();
        await using var cluster = await BenchCluster.CreateAsync("lint", null, ct);
        await cluster.StartAsync(ct);
        var server = cluster.Target("postgres");
        var psql = cluster.Cluster.Installation.Tool("psql");
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            ctx.Say($"db lint, run {run}/{ctx.Size.Runs}: the project's migrations and `psql -f` of them, then {count} generated ones and `psql -f` of them…");
            foreach (var (project, side, label) in new[] { (ctx.Layout, own, "own"), (layout, gen, "generated") })
            {
                var clock = Stopwatch.StartNew();
                var report = await new MigrationLinter(project, server, new LintOptions { All = true }).LintAsync(ct);
                side.Lint.Add(clock.Elapsed.TotalSeconds);
                side.Phases.Add(report.Times);
                if (project == ctx.Layout && report.Failed)
                    throw new InvalidOperationException("the project's own migrations do not lint clean:\n" + LintReportFormats.Text(report));
                if (project == layout && (report.Migrations.Count != count || report.Findings.Count > 0))
                    throw new InvalidOperationException($"the generated project must lint clean ({count} files):\n" + LintReportFormats.Text(report));
                side.Psql.Add(await PsqlApplyAsync(cluster, psql, project, $"lint_psql_{label}_{run}", ct));
            }
        }
        var ownFiles = Directory.EnumerateFiles(ctx.Layout.MigrationsDirectory, "*.sql").Count();
        result.Figures.Add(Figures.Compare(Id, $"wall time, db lint --all of the project's {ownFiles} migrations", "s", own.Lint,
            $"psql -f of the same {ownFiles} files", own.Psql, "≤ 5× psql -f",
            (_, _, q) => q <= 5, (v, _, q) => (q <= 5 ? "met" : "missed") + $": {v:F2} s, {q:F1}× psql -f"));
        result.Figures.Add(Figures.Compare(Id, $"wall time, db lint --all of {count} generated migrations", "s", gen.Lint,
            $"psql -f of the same {count} files", gen.Psql, count == 100 ? "≤ 5× psql -f and ≤ 30 s" : "≤ 5× psql -f (30 s for 100 files at small/full size)",
            (v, _, q) => q <= 5 && (count != 100 || v <= 30),
            (v, _, q) => (q <= 5 && (count != 100 || v <= 30) ? "met" : "missed") + $": {v:F2} s, {q:F1}× psql -f"));
        foreach (var (side, what) in new[] { (own, $"the project's {ownFiles} migrations"), (gen, $"{count} generated migrations") })
        {
            foreach (var (phase, pick) in new (string, Func<LintPhaseTimes, TimeSpan>)[]
                     {
                         ("start-up (scratch database, platform layer, hosted objects)", t => t.StartUp),
                         ("replay (statements, savepoints, lock reads)", t => t.Replay),
                         ("catalog reads (catalog states, schema snapshots)", t => t.CatalogReads),
                         ("rules", t => t.Rules),
                         ("rollback checks", t => t.RollbackChecks),
                     })
            {
                result.Figures.Add(Figures.Compare(Id, $"where the time goes, {what}: {phase}", "s",
                    side.Phases.Select(t => pick(t).TotalSeconds).ToList(), null, null, "—", (_, _, _) => null,
                    (v, _, _) => $"{100 * v / Stats.Median(side.Phases.Select(t => t.Total.TotalSeconds).ToList()):F0} % of the lint"));
            }
            var last = side.Phases[^1];
            result.Notes.Add($"{what}: {last.Statements} statements replayed, {last.CatalogStates} catalog states read (last run).");
        }
        result.Notes.Add("A cluster of its own with the default server settings. Each generated file holds about 8 statements. psql is the same " +
                         "PostgreSQL 15 install's, started once per file (-X -q -v ON_ERROR_STOP=1 -1; without -1 for a file that cannot run in a transaction), " +
                         "on a fresh database that holds the platform layer and hosted Supabase's objects before its clock starts. " +
                         "The machine is shared (2 cores, other work running): read the ratio, not the seconds.");
        return result;
    }

    /// <summary>`psql -f` of every migration of <paramref name="project"/>, in order, on a fresh database; the seconds the files took.</summary>
    private static async Task<double> PsqlApplyAsync(BenchCluster cluster, string psql, ProjectLayout project, string database, CancellationToken ct)
    {
        var server = cluster.Target("postgres");
        await ExecAsync(server, $"drop database if exists {database} with (force)", ct);
        await ExecAsync(server, $"create database {database} template template0", ct);
        try
        {
            await using (var dataSource = cluster.Target(database).CreateDataSource())
            {
                await SupabasePlatformLayer.EnsureAsync(dataSource, ct);
                await ExtensionStandIns.EnsureHostedAsync(dataSource, ct);
            }
            // As on Supabase (and in the lint's replay): the extensions schema is on the search_path.
            await ExecAsync(server, $"alter database {database} set search_path = \"$user\", public, extensions", ct);
            var files = new MigrationSource(project).LoadMigrations()
                .Select(m => (Path: Path.Combine(project.Root, m.DisplayPath), NoTransaction: m.IsNonTransactional)).ToList();
            var clock = Stopwatch.StartNew();
            foreach (var (path, noTransaction) in files)
            {
                var info = new ProcessStartInfo(psql) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { "-X", "-q", "-h", "127.0.0.1", "-p", cluster.Cluster.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
                                          "-d", database, "-v", "ON_ERROR_STOP=1" })
                    info.ArgumentList.Add(a);
                if (!noTransaction) info.ArgumentList.Add("-1");
                info.ArgumentList.Add("-f");
                info.ArgumentList.Add(path);
                info.Environment["PGPASSWORD"] = cluster.Cluster.Password;
                using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {psql}");
                var stdout = process.StandardOutput.ReadToEndAsync(ct);
                var stderr = process.StandardError.ReadToEndAsync(ct);
                await process.WaitForExitAsync(ct);
                if (process.ExitCode != 0)
                    throw new InvalidOperationException($"psql -f {path} exited with {process.ExitCode}:\n{await stderr}{await stdout}");
            }
            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await ExecAsync(server, $"drop database if exists {database} with (force)", CancellationToken.None);
        }
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
