using Npgsql;
using MentorStatus.TestSupport;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// Through a transaction pooler: a real PgBouncer in transaction mode (LocalPgBouncer, what
/// Supabase's Supavisor on port 6543 does) in front of the bench cluster. Status changes/s and timeline reads/s
/// through PgBouncer vs a direct connection, alternated in the same run, and vs a direct connection without
/// auto-prepare (what the pooler's connection string needs: Max Auto Prepare=0), to tell the pooler's hop from
/// the lost prepared statements. A reference figure: the issue sets no target for it.
/// </summary>
public static class PoolerCase
{
    public const string Id = "pooler";
    public const int Clients = 8;
    /// <summary>PgBouncer's server connections: one per client, so the ratio is the pooler's cost, not a smaller pool's.</summary>
    public const int ServerConnections = Clients;

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var result = new CaseResult(Id, $"Through PgBouncer (transaction mode) vs a direct connection, {Clients} clients");
        var size = ctx.Size;
        await StatusChangeCase.LiftRateLimitAsync(ctx, ct);
        var directory = Path.Combine(Path.GetTempPath(), $"mentorstatus-bench-pgbouncer-{Guid.NewGuid():N}"[..51]);
        ctx.Say($"PgBouncer (pool_mode = transaction, {ServerConnections} server connections) in front of the bench cluster…");
        await using var bouncer = await LocalPgBouncer.StartAsync(directory, ctx.Cluster.Cluster.Port, BenchCluster.FreePort(), ctx.Cluster.Cluster.Password, ServerConnections, ct: ct);
        try
        {
            var direct = StatusChangeCase.PoolConnectionString(ctx);
            await using var directSource = MentorStatusDataSource.Create(direct);
            await using var unpreparedSource = MentorStatusDataSource.Create(new NpgsqlConnectionStringBuilder(direct) { MaxAutoPrepare = 0 }.ConnectionString);
            await using var pooledSource = MentorStatusDataSource.Create(new NpgsqlConnectionStringBuilder(bouncer.Target(BenchContext.Database).ConnectionString)
            {
                MaxPoolSize = 16, ApplicationName = "mentorstatus-bench",
            }.ConnectionString);
            await MentorStatusDataSource.VerifyAsync(pooledSource, ct);
            var arms = new (string Name, NpgsqlDataSource Source)[]
            {
                ("direct", directSource), ("direct, Max Auto Prepare=0", unpreparedSource), ("PgBouncer (Max Auto Prepare=0)", pooledSource),
            };
            var changes = arms.Select(_ => new List<double>()).ToArray();
            var reads = arms.Select(_ => new List<double>()).ToArray();
            var load = new TimelineReaders(ctx);
            var per = size.StatusPool / Clients;

            if (size.WarmupSeconds > 0)
            {
                ctx.Say("warm-up: pools, plans, PgBouncer's server connections…");
                foreach (var (_, source) in arms)
                {
                    await StatusChangeCase.ResetPoolAsync(ctx, ct);
                    await StatusChangeCase.RunClientsAsync(new RepositoryStatusChangePath(source), Clients, per, TimeSpan.FromSeconds(size.WarmupSeconds), [], ct);
                    var repository = new MentorStatusRepository(source);
                    await load.RunAsync(Clients, TimeSpan.FromSeconds(size.WarmupSeconds), (_, _) => repository, null, ct);
                }
            }

            for (var run = 1; run <= size.Runs; run++)
            {
                ctx.Say($"pooler, run {run}/{size.Runs}: status changes and timeline reads, direct / unprepared / PgBouncer ({size.StatusRunDuration.TotalSeconds:F0} s each)…");
                // rotate who goes first
                foreach (var a in Enumerable.Range(0, arms.Length).Select(i => (i + run - 1) % arms.Length))
                {
                    await StatusChangeCase.ResetPoolAsync(ctx, ct);
                    changes[a].Add((await StatusChangeCase.RunClientsAsync(new RepositoryStatusChangePath(arms[a].Source), Clients, per, size.StatusRunDuration, [], ct)).Tps);
                    var repository = new MentorStatusRepository(arms[a].Source);
                    reads[a].Add((await load.RunAsync(Clients, size.StatusRunDuration, (_, _) => repository, null, ct)).ReadsPerSecond);
                }
            }

            result.Figures.Add(Figures.Compare(Id, $"status changes/s through PgBouncer, {Clients} clients", "tx/s", changes[2],
                "direct connection", changes[0], "— (reference)", (_, _, _) => null, (_, _, r) => $"{r:F2}× direct"));
            result.Figures.Add(Figures.Compare(Id, $"status changes/s through PgBouncer, {Clients} clients", "tx/s", changes[2],
                "direct, Max Auto Prepare=0", changes[1], "— (diagnostic)", (_, _, _) => null,
                (_, _, r) => $"{r:F2}× direct without auto-prepare: the pooler's hop alone"));
            result.Figures.Add(Figures.Compare(Id, $"timeline reads/s through PgBouncer, {Clients} coordinators (RLS)", "reads/s", reads[2],
                "direct connection", reads[0], "— (reference)", (_, _, _) => null, (_, _, r) => $"{r:F2}× direct"));
            result.Figures.Add(Figures.Compare(Id, $"timeline reads/s through PgBouncer, {Clients} coordinators (RLS)", "reads/s", reads[2],
                "direct, Max Auto Prepare=0", reads[1], "— (diagnostic)", (_, _, _) => null,
                (_, _, r) => $"{r:F2}× direct without auto-prepare: the pooler's hop alone"));
            result.Notes.Add($"PgBouncer {await VersionAsync(ct)} as the postgres OS user: pool_mode = transaction, default_pool_size = {ServerConnections} " +
                             $"(one server connection per client), on the same 2 cores. Each arm runs {Clients} status-change clients (own mentors, " +
                             $"pause/resume, MentorStatusRepository.ChangeStatusAsync) and then {Clients} timeline readers (coordinators, " +
                             "GetTimelineAsync); the arms rotate order per run.");
            result.Notes.Add("Through the pooler the library needs Max Auto Prepare=0 (PgBouncer 1.18 does not keep prepared statements), so every " +
                             "statement is parsed and planned per call; the \"direct, Max Auto Prepare=0\" arm separates that cost from the extra hop.");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
        }
        return result;
    }

    private static async Task<string> VersionAsync(CancellationToken ct)
    {
        var program = LocalPgBouncer.FindProgram();
        if (program is null) return "";
        var info = new System.Diagnostics.ProcessStartInfo(program, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return text.Split('\n')[0].Replace("PgBouncer ", "", StringComparison.Ordinal).Trim();
    }
}
