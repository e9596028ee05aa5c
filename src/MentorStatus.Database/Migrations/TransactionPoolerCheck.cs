using Npgsql;

namespace MentorStatus.Database.Migrations;

/// <summary>
/// The runner reached the server through a transaction pooler (PgBouncer pool_mode=transaction, Supabase's Supavisor on
/// port 6543). Nothing was changed.
/// </summary>
public sealed class TransactionPoolerException(string message) : MigrationException(message)
{
    /// <summary>True: the connection must go elsewhere (direct, or a session pooler); nothing ran.</summary>
    public override bool IsUsageError => true;
}

/// <summary>
/// Refuses to run migrations through a transaction pooler. Such a pooler lends the server connection to other clients
/// between transactions, so the runner's session state would stay behind on a connection it no longer holds: the
/// migration lock (a session advisory lock) blocking every later runner, `lock_timeout` applied to someone else's
/// session, a lone `create index concurrently` run without it.
/// </summary>
internal static class TransactionPoolerCheck
{
    private const string BackendPid = "select pg_backend_pid()";
    private const int Rounds = 5, SamplesPerRound = 5;

    /// <summary>
    /// First sign: the process id in the start-up key data is not the server process's own. A server, or a TCP tunnel
    /// to one (SSH, Docker's port mapping), passes the real one through; a pooler answers the start-up itself. Then,
    /// as a pooler may be in session mode (fine: one server connection per client for the whole session): while this
    /// client sits between transactions, a second client opens a transaction. In transaction mode the pooler can give
    /// it this client's server connection, and it prefers the one freed last; or this client's next statement lands on
    /// another connection. Either is proof. In session mode neither can happen. Sampled several times per round and
    /// repeated, since other clients of a busy pool take the freed connection first and hand it back at random.
    /// </summary>
    public static async Task RefuseAsync(NpgsqlConnection connection, string operation, CancellationToken ct)
    {
        var own = await SqlCommands.ScalarAsync<int>(connection, BackendPid, ct);
        if (connection.ProcessID == own) return;

        var probe = new NpgsqlConnectionStringBuilder(connection.ConnectionString)
        {
            Pooling = false, Timeout = 5, CommandTimeout = 5, ApplicationName = "mentorstatus pooler check",
        };
        for (var round = 0; round < Rounds; round++)
        {
            var before = await SqlCommands.ScalarAsync<int>(connection, BackendPid, ct);
            await using var other = connection.CloneWith(probe.ConnectionString);
            int borrowed;
            try
            {
                await other.OpenAsync(ct);
                await using var transaction = await other.BeginTransactionAsync(ct);
                borrowed = await SqlCommands.ScalarAsync<int>(other, BackendPid, ct);
            }
            catch (NpgsqlException e) when (e.InnerException is TimeoutException
                                            || e is PostgresException { SqlState: "53300" or "53400" or "08P01" })
            {
                return; // the second client waits for, or gets no, server connection: this client keeps its own, as in session mode
            }
            if (borrowed == before) throw Refusal(connection, operation);
            for (var sample = 0; sample < SamplesPerRound; sample++)
                if (await SqlCommands.ScalarAsync<int>(connection, BackendPid, ct) != before) throw Refusal(connection, operation);
        }
    }

    private static TransactionPoolerException Refusal(NpgsqlConnection connection, string operation) => new(
        $"{operation}: {connection.Host}:{connection.Port} is a transaction pooler (PgBouncer with pool_mode = transaction, or Supabase's " +
        "Supavisor on port 6543): it hands this session's server connection to other clients between transactions, so the migration lock " +
        "(a session advisory lock) and lock_timeout would stay behind on a connection this runner no longer holds, and block every later " +
        "`db up`. Nothing was changed.\n" +
        "  fix: connect directly (Supabase: db.<project>.supabase.co, port 5432) or through a session-mode pooler " +
        "(Supavisor's session mode: the pooler host on port 5432; PgBouncer: pool_mode = session).");
}
