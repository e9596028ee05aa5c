using System.Diagnostics;
using System.Text;
using MentorStatus.Database;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// Shared tools of the reliability group: the seed's fixed ids, acting as a user, a CLI process that can be
/// SIGKILLed, waiting on server state (never on wall-clock sleeps), and the history-chain invariant.
/// </summary>
internal static class Faults
{
    /// <summary>Generous: other engineers run tests on the same two cores.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // Fixed ids from the top of supabase/seed.sql.
    public const string Nora = "00000000-0000-4000-a003-000000000001"; // coordinator of Northgate (Alva, Bo)
    public const string Rami = "00000000-0000-4000-a003-000000000002"; // coordinator of Riverside (Bo, Cai)
    public const string Sara = "00000000-0000-4000-a003-000000000004"; // coordinator of Harbour, Meadow (Eli, Gus, Fen)
    public const string AlvaUser = "00000000-0000-4000-a003-000000000011";
    public const string BoUser = "00000000-0000-4000-a003-000000000012";
    public const string EliUser = "00000000-0000-4000-a003-000000000015";
    public const string Alva = "00000000-0000-4000-a004-000000000001";
    public const string Bo = "00000000-0000-4000-a004-000000000002";
    public const string Eli = "00000000-0000-4000-a004-000000000005";

    /// <summary>Begins a transaction on <paramref name="connection"/> acting as the given auth user through PostgREST's role.</summary>
    public static async Task<NpgsqlTransaction> BeginAsUserAsync(NpgsqlConnection connection, string userId)
    {
        var transaction = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("set local role authenticated"),
                new NpgsqlBatchCommand("select set_config('request.jwt.claims', $1, true)")
                    { Parameters = { new NpgsqlParameter { Value = $$"""{"sub":"{{userId}}","role":"authenticated"}""" } } },
            },
        };
        await batch.ExecuteNonQueryAsync();
        return transaction;
    }

    public static NpgsqlCommand ChangeStatusCommand(NpgsqlConnection connection, string mentorId, string status, string reason) =>
        new("select (public.change_mentor_status($1::uuid, $2::public.mentor_status, $3)).id", connection)
        {
            Parameters =
            {
                new NpgsqlParameter { Value = mentorId },
                new NpgsqlParameter { Value = status },
                new NpgsqlParameter { Value = reason },
            },
            CommandTimeout = 0,
        };

    public static async Task<int> BackendPidAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("select pg_backend_pid()", connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test with <paramref name="what"/> after <see cref="Patience"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (patience ?? Patience)) throw new TimeoutException($"gave up after {clock.Elapsed.TotalSeconds:0}s waiting for: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>The pid of a backend of <paramref name="database"/> whose current query matches, or null.</summary>
    public static async Task<int?> BackendRunningAsync(NpgsqlDataSource admin, string database, string queryLike) =>
        await ScalarOrNullAsync<int>(admin,
            "select pid from pg_stat_activity where datname = $1 and state = 'active' and query like $2 and pid <> pg_backend_pid() limit 1",
            database, queryLike);

    public static async Task<bool> BackendAliveAsync(NpgsqlDataSource admin, int pid) =>
        await ScalarOrNullAsync<int>(admin, "select pid from pg_stat_activity where pid = $1", pid) is not null;

    /// <summary>What a careful operator does after the client died: wait for the orphaned backend, or end it.</summary>
    public static async Task TerminateAndWaitAsync(NpgsqlDataSource admin, int pid)
    {
        await using (var command = admin.CreateCommand("select pg_terminate_backend($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = pid });
            await command.ExecuteScalarAsync();
        }
        await WaitUntilAsync(async () => !await BackendAliveAsync(admin, pid), $"backend {pid} to exit after pg_terminate_backend");
    }

    private static async Task<T?> ScalarOrNullAsync<T>(NpgsqlDataSource data, string sql, params object[] values) where T : struct
    {
        await using var command = data.CreateCommand(sql);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        var result = await command.ExecuteScalarAsync();
        return result is T t ? t : null;
    }

    /// <summary>
    /// Every mentor's history is one unbroken chain: ordered by changed_at, the first record has no previous
    /// status, each next record's previous_status is the new_status before it, and the last one is the
    /// mentor's current status. Returns the number of mentors checked.
    /// </summary>
    public static async Task<int> AssertHistoryChainsConsistentAsync(NpgsqlDataSource data)
    {
        const string breaks = """
            with ordered as (
                select h.mentor_id, h.previous_status, h.new_status, h.changed_at,
                       lag(h.new_status) over w as before,
                       row_number() over w as n,
                       count(*) over (partition by h.mentor_id) as total
                from public.peer_mentor_status_history h
                window w as (partition by h.mentor_id order by h.changed_at, h.id)
            )
            select o.mentor_id::text || ' #' || o.n || ': ' || coalesce(o.previous_status::text, 'null') || '->' || o.new_status
                   || ' after ' || coalesce(o.before::text, 'nothing')
                   || case when o.n = o.total and o.new_status <> m.status then ' (current status ' || m.status || ')' else '' end
            from ordered o
            join public.peer_mentors m on m.id = o.mentor_id
            where (o.n = 1 and o.previous_status is not null)
               or (o.n > 1 and o.previous_status is distinct from o.before)
               or (o.n = o.total and o.new_status <> m.status)
            order by 1
            """;
        await using (var command = data.CreateCommand(breaks))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            var problems = new List<string>();
            while (await reader.ReadAsync()) problems.Add(reader.GetString(0));
            Assert.True(problems.Count == 0, "history chain broken:\n" + string.Join("\n", problems));
        }
        await using var count = data.CreateCommand("select count(distinct mentor_id)::int from public.peer_mentor_status_history");
        return (int)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>A running `mentorstatus` process that the test can SIGKILL.</summary>
    public sealed class CliProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        private CliProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public int Pid => _process.Id;
        public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
        public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

        public static CliProcess Start(string workdir, params string[] args)
        {
            // `dotnet app.dll` runs the app inside the dotnet host process: killing it kills the runner.
            return new CliProcess(Process.Start(CliRunner.StartInfo(workdir, args))!);
        }

        public bool HasExited => _process.HasExited;

        /// <summary>SIGKILL: no finally block, no connection close, no unlock runs in the runner.</summary>
        public async Task SigKillAsync()
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
            Assert.Equal(137, _process.ExitCode); // 128 + SIGKILL(9): it really was killed, not finished
        }

        public async Task<int> WaitAsync()
        {
            using var timeout = new CancellationTokenSource(Patience);
            await _process.WaitForExitAsync(timeout.Token);
            _process.WaitForExit(); // flush the asynchronous output readers
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
