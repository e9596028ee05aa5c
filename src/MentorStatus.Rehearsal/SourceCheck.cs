using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>What the source check found: the server, the role, and what that role could write.</summary>
public sealed record SourceFacts(string Role, string ServerVersion, string Database, IReadOnlyList<string> WriteReasons);

/// <summary>
/// Opens the source read-only and checks, before anything is copied, that it is PostgreSQL 15, that the role
/// can sign in and read every table and sequence, and whether the role could write (superuser, owner, or
/// INSERT/UPDATE/DELETE/TRUNCATE on any table): such a role is refused unless the user accepts it.
/// </summary>
internal static class SourceCheck
{
    /// <summary>Schemas pg_dump dumps and we copy: everything but PostgreSQL's own.</summary>
    public const string UserSchemas = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'";

    private const string Facts = """
        select current_user, current_setting('server_version'), current_setting('server_version_num')::int,
               current_database(), (select rolsuper from pg_roles where rolname = current_user)
        """;

    // Tables of extensions are the extension's business (pg_dump skips their rows too).
    private const string Privileges = $"""
        select n.nspname || '.' || c.relname, c.relkind::text,
               pg_has_role(c.relowner, 'usage') as owns,
               case when c.relkind = 'S' then has_sequence_privilege(c.oid, 'select')
                    else has_table_privilege(c.oid, 'select') end as can_read,
               c.relkind <> 'S' and has_table_privilege(c.oid, 'insert, update, delete, truncate') as can_write,
               -- row-level security would hide rows from the copy: the role must bypass it (or own the table, unforced)
               c.relrowsecurity and not (select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = current_user)
                 and (c.relforcerowsecurity or not pg_has_role(c.relowner, 'usage')) as rls_hides_rows
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'S') and {UserSchemas}
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by 1
        """;

    /// <summary>Connection string of a read-only session on the source: the server refuses any write in it.</summary>
    public static string ReadOnly(DatabaseTarget source, string purpose = "mentorstatus-rehearse") =>
        new NpgsqlConnectionStringBuilder(source.ConnectionString)
        {
            // row_security=off: a policy that would hide rows is an error, never a silently short copy (as in pg_dump).
            // jit=off: the sampling filters' per-row subplans make the planner's cost estimate huge, and JIT then spent
            // ~0.5 s compiling for one COPY of the history (measured on 1 M rows; the scan itself took 1.2 s).
            Options = "-c default_transaction_read_only=on -c row_security=off -c jit=off",
            ApplicationName = purpose,
            Pooling = false,
            CommandTimeout = 0,
        }.ConnectionString;

    public static async Task<NpgsqlConnection> OpenAsync(DatabaseTarget source, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(ReadOnly(source));
        try
        {
            await OpenCancellableAsync(connection, ct);
            return connection;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            await connection.DisposeAsync();
            throw new RehearsalException($"the source refused the sign-in of {new NpgsqlConnectionStringBuilder(source.ConnectionString).Username} ({e.SqlState} {e.MessageText}); check the user and password in --from.", e);
        }
        catch (PostgresException e)
        {
            await connection.DisposeAsync();
            throw new RehearsalException($"the source refused the connection: {e.SqlState} {e.MessageText}; check --from.", e);
        }
        catch (NpgsqlException e)
        {
            await connection.DisposeAsync();
            throw new RehearsalException($"could not reach the source {source.Host}: {e.Message}; check the host and port in --from.", e);
        }
    }

    /// <summary>
    /// Opens a connection to the source, giving up at once when <paramref name="ct"/> is cancelled. Npgsql's own
    /// OpenAsync does not act on the token while it waits for the server's answer to the startup (measured: Ctrl+C
    /// during the source check of a server that accepted TCP but did not answer took the whole 15 s connect timeout);
    /// a slow remote source must not hold Ctrl+C that long. The abandoned attempt is disposed when it ends.
    /// </summary>
    public static async Task OpenCancellableAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var open = connection.OpenAsync(ct);
        try
        {
            await open.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (!open.IsCompleted)
        {
            _ = open.ContinueWith(_ => connection.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    public static async Task<SourceFacts> RunAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        string role, version, database;
        int versionNum;
        bool superuser;
        await using (var command = new NpgsqlCommand(Facts, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (role, version, versionNum, database, superuser) =
                (reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetBoolean(4));
        }
        if (versionNum / 10000 != PostgresInstallation.RequiredMajorVersion)
            throw new RehearsalException(
                $"the source runs PostgreSQL {version}; `db rehearse` copies into PostgreSQL {PostgresInstallation.RequiredMajorVersion} " +
                "and can rehearse only a PostgreSQL 15 source (what Supabase runs and the migrations target).");

        var unreadable = new List<string>();
        var owned = new List<string>();
        var writable = new List<string>();
        var hidden = new List<string>();
        await using (var command = new NpgsqlCommand(Privileges, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var name = reader.GetString(0);
                if (!reader.GetBoolean(3)) unreadable.Add(name);
                if (reader.GetBoolean(2)) owned.Add(name);
                else if (reader.GetBoolean(4)) writable.Add(name);
                if (reader.GetBoolean(5)) hidden.Add(name);
            }
        }
        if (unreadable.Count > 0)
            throw new RehearsalException(
                $"the source role {role} cannot read {unreadable.Count} table(s) or sequence(s): {Few(unreadable)}.\n" +
                $"  fix: `grant pg_read_all_data to {role}` (or grant select on them), or use a role that can read everything.");

        if (hidden.Count > 0)
            throw new RehearsalException(
                $"row-level security would hide rows of {hidden.Count} table(s) from the source role {role}: {Few(hidden)}.\n" +
                $"  fix: `alter role {role} bypassrls` (as pg_dump needs too), or use a role that bypasses row-level security.");

        var reasons = new List<string>();
        if (superuser) reasons.Add("it is a superuser");
        if (owned.Count > 0) reasons.Add($"it owns {owned.Count} table(s), e.g. {Few(owned)}");
        if (writable.Count > 0) reasons.Add($"it holds INSERT, UPDATE, DELETE or TRUNCATE privilege on {writable.Count} table(s), e.g. {Few(writable)}");
        return new SourceFacts(role, version, database, reasons);
    }

    private static string Few(List<string> names) =>
        string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
}
