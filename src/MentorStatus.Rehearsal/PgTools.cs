using System.Diagnostics;
using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>
/// pg_dump, pg_dumpall and pg_restore of the installed PostgreSQL 15, pointed at a database through the
/// libpq environment (PGHOST…), so no password ever appears on a command line. Every session a tool opens
/// on the source is read-only (PGOPTIONS default_transaction_read_only=on).
/// </summary>
internal sealed class PgTools(PostgresInstallation installation)
{
    public sealed record Result(int ExitCode, string Stderr)
    {
        public string Stdout { get; init; } = "";
    }

    public Task<Result> DumpAllRolesAsync(DatabaseTarget source, string file, CancellationToken ct) =>
        RunAsync("pg_dumpall", ["--roles-only", "--no-role-passwords", "--file", file], source, readOnly: true, ct);

    public Task<Result> DumpSchemaAsync(DatabaseTarget source, string snapshot, string file, CancellationToken ct) =>
        RunAsync("pg_dump", ["--format=custom", "--schema-only", $"--snapshot={snapshot}", "--file", file], source, readOnly: true, ct);

    /// <summary>
    /// Restores the entries of <paramref name="list"/> (a `pg_restore -l` list, see <see cref="CopyContainment"/>);
    /// <paramref name="noOwner"/>: everything is owned by the role that signs in (no ALTER … OWNER).
    /// </summary>
    public Task<Result> RestoreAsync(DatabaseTarget target, string file, string? section, int jobs, string list, bool noOwner, CancellationToken ct) =>
        RunAsync("pg_restore", RestoreArguments(target, file, section, jobs, list, noOwner), target, readOnly: false, ct);

    private static List<string> RestoreArguments(DatabaseTarget target, string file, string? section, int jobs, string list, bool noOwner)
    {
        var arguments = new List<string> { $"--jobs={jobs}", $"--use-list={list}", $"--dbname={target.Database}" };
        if (section is not null) arguments.Add($"--section={section}");
        if (noOwner) arguments.Add("--no-owner");
        arguments.Add(file);
        return arguments;
    }

    /// <summary>The archive's table of contents (`pg_restore -l`), one entry a line.</summary>
    public Task<Result> ListAsync(DatabaseTarget target, string file, CancellationToken ct) =>
        RunAsync("pg_restore", ["--list", file], target, readOnly: false, ct);

    /// <summary>Runs a tool; cancellation kills it.</summary>
    public async Task<Result> RunAsync(string tool, IEnumerable<string> arguments, DatabaseTarget database, bool readOnly, CancellationToken ct)
    {
        var info = new ProcessStartInfo(installation.Tool(tool)) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var b = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        info.Environment["PGHOST"] = b.Host;
        info.Environment["PGPORT"] = b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["PGDATABASE"] = b.Database;
        info.Environment["PGUSER"] = b.Username;
        if (b.Password is { } password) info.Environment["PGPASSWORD"] = password;
        info.Environment["PGSSLMODE"] = b.SslMode switch
        {
            SslMode.Disable => "disable", SslMode.Allow => "allow", SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca", SslMode.VerifyFull => "verify-full", _ => "prefer",
        };
        info.Environment["PGAPPNAME"] = "mentorstatus-rehearse";
        info.Environment["PGCONNECT_TIMEOUT"] = "15";
        info.Environment.Remove("PGSERVICE");
        if (readOnly) info.Environment["PGOPTIONS"] = "-c default_transaction_read_only=on";
        else info.Environment.Remove("PGOPTIONS");

        using var process = Process.Start(info) ?? throw new RehearsalException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(process.ExitCode, (await stderr).Trim()) { Stdout = await stdout };
    }
}
