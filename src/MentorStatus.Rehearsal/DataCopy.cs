using System.Diagnostics;
using MentorStatus.Database.Migrations;
using MentorStatus.Database;
using MentorStatus.Tooling.Lint;
using MentorStatus.Tooling.Local;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>What the copy did.</summary>
/// <param name="OwnerRole">The unprivileged role that owns and loads the copy: what the source defines runs as it (see <see cref="CopyContainment"/>).</param>
/// <param name="Neutralised">What of the source was taken away or not created because it could reach beyond the database.</param>
public sealed record CopySummary(string Method, int Tables, int SampledTables, long Rows, long Bytes, TimeSpan Duration, IReadOnlyList<string> Warnings)
{
    public string OwnerRole { get; init; } = "";
    public IReadOnlyList<string> Neutralised { get; init; } = [];
}

/// <summary>What was read from the source before the throwaway server was needed (files in the cluster's folder).</summary>
/// <param name="Applied">The versions in the source's migration journal, in the same snapshot as the copy.</param>
/// <param name="Code">What the source defines that could run code here (extensions, untrusted functions, event triggers).</param>
internal sealed record SourceSchema(string Snapshot, string RolesFile, string SchemaFile, IReadOnlyList<TableToCopy> Plan, IReadOnlySet<string> Applied,
    TimeSpan Duration, SourceCode Code);

/// <summary>
/// Copies the source into the throwaway cluster, all of it from one snapshot of the source: the roles
/// (pg_dumpall --roles-only), the schema without indexes and constraints (pg_dump -Fc --schema-only, pre-data),
/// the rows by streaming binary COPY in parallel (with the sampling filters of <see cref="CopyPlan"/>), the
/// sequences' positions, then indexes, constraints and triggers (pg_restore -j, post-data) and ANALYZE of
/// every table. Every source session is read-only. The source is untrusted: the copy is restored, loaded and owned
/// by an unprivileged role (<see cref="CopyContainment"/>), never by the superuser.
/// </summary>
internal sealed class DataCopy(DatabaseTarget source, ThrowawayCluster cluster, RehearsalOptions options, RehearsalProgress progress, PhaseClock phases)
{
    private const string BeginSnapshot = "begin isolation level repeatable read read only";
    private const string ExportSnapshot = "select pg_export_snapshot()";
    private const string SelectSequences = $"""
        select quote_ident(n.nspname) || '.' || quote_ident(c.relname)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'S' and {SourceCheck.UserSchemas}
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        """;

    private const int MaxWarningsShown = 10;

    private readonly PgTools _tools = new(cluster.Cluster.Installation);
    private readonly List<string> _warnings = [];

    public DatabaseTarget Target => cluster.Target(source.Database);

    /// <summary>Who owns and loads the copy, and what of the source was neutralised.</summary>
    public CopyContainment Containment { get; } = new();

    /// <summary>The copy's database signed in as the unprivileged owner: what the source defines runs as it.</summary>
    public DatabaseTarget OwnerTarget => Containment.AsOwner(Target);

    /// <summary>
    /// Everything read from the source before the throwaway server is needed, so that it runs while the server
    /// starts: the snapshot, the roles and the schema (pg_dumpall and pg_dump at once, into files of the cluster's
    /// folder) and the copy plan. Cancelling it kills the tools.
    /// </summary>
    public async Task<SourceSchema> ReadSchemaAsync(NpgsqlConnection snapshotHolder, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using (var begin = new NpgsqlCommand(BeginSnapshot, snapshotHolder)) await begin.ExecuteNonQueryAsync(ct);
        var snapshot = await ScalarAsync<string>(snapshotHolder, ExportSnapshot, ct);
        // production's roles and schema: 0600 files (made before the tools write them, which keep the mode) in the
        // cluster's 0700 folder with its random name
        var rolesFile = PrivateFiles.CreateEmpty(Path.Combine(cluster.Root, "roles.sql"));
        var schemaFile = PrivateFiles.CreateEmpty(Path.Combine(cluster.Root, "schema.dump"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var roles = _tools.DumpAllRolesAsync(source, rolesFile, stop.Token);
        var schema = _tools.DumpSchemaAsync(source, snapshot, schemaFile, stop.Token);
        IReadOnlyList<TableToCopy> plan;
        IReadOnlySet<string> applied;
        SourceCode code;
        try
        {
            plan = await CopyPlan.BuildAsync(snapshotHolder, options.SamplePercent, options.Tables, ct);
            applied = (await MigrationJournal.ReadAsync(snapshotHolder, ct)).Select(a => a.Version).ToHashSet();
            code = await CopyContainment.ReadAsync(snapshotHolder, ct);
        }
        catch
        {
            // the plan failed (or the run was cancelled): stop the tools, and let them end before the folder can go
            await BackgroundTasks.CancelAndAwaitQuietlyAsync(stop, Task.WhenAll(roles, schema)); // the plan's error is the one reported
            throw;
        }
        var rolesDump = await roles;
        if (rolesDump.ExitCode != 0) throw SourceToolFailed("pg_dumpall --roles-only", rolesDump.Stderr);
        var schemaDump = await schema;
        if (schemaDump.ExitCode != 0) throw SourceToolFailed("pg_dump --schema-only", schemaDump.Stderr);
        return new SourceSchema(snapshot, rolesFile, schemaFile, plan, applied, clock.Elapsed, code);
    }

    /// <summary>
    /// Restores what <see cref="ReadSchemaAsync"/> read into the started cluster, then copies the rows.
    /// <paramref name="rolesAndSchemaRestored"/> is called once the roles exist (from then on other work may use the
    /// server without racing the copy for cluster-wide roles); the rest of the copy follows.
    /// </summary>
    public async Task<CopySummary> RunAsync(NpgsqlConnection snapshotHolder, SourceSchema read, CancellationToken ct, Action? rolesAndSchemaRestored = null)
    {
        var clock = Stopwatch.StartNew();
        var (snapshot, schemaFile, plan) = (read.Snapshot, read.SchemaFile, read.Plan);

        progress.Report("copying roles and schema");
        await CopyRolesAsync(read.RolesFile, ct);
        if (source.Database != "postgres") await ExecuteOnTargetAsync("postgres", $"create database {Quote(source.Database)}", ct);
        var (schemasMade, extensionWarnings) = await Containment.PrepareDatabaseAsync(Target, read.Code, ct);
        foreach (var warning in extensionWarnings) Warn(warning);
        var (ownerList, grantsList) = await ContentsAsync(schemaFile, read.Code, schemasMade, ct);
        await RestoreAsync(schemaFile, "pre-data", 1, ownerList, asOwner: true, ct);
        phases.Lap(RehearsalPhases.SchemaCopy);
        rolesAndSchemaRestored?.Invoke();

        progress.Copy.Tables = plan.Count;
        progress.Copy.EstimatedRows = (long)plan.Sum(t => t.EstimatedRows);
        progress.Report(options.SamplePercent is { } p ? $"copying rows (sample {p:0.##} %)" : "copying rows");
        var queue = new Queue<TableToCopy>(plan.OrderByDescending(t => t.EstimatedBytes));
        // One failing stream stops the others; the first real error is the one reported.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = Enumerable.Range(0, Math.Min(options.Jobs, Math.Max(1, plan.Count)))
            .Select(_ => Task.Run(async () =>
            {
                try { await CopyWorkerAsync(queue, snapshot, stop.Token); }
                catch { await stop.CancelAsync(); throw; }
            }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        catch when (workers.Select(w => w.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException) is { } first)
        {
            if (first is not RehearsalException && IsSourceGone(first)) throw SourceBrokeOff(first);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        try
        {
            await CopySequencesAsync(snapshotHolder, ct);
        }
        catch (Exception e) when (IsSourceGone(e))
        {
            // the rows were copied, but the source went away before the sequences were read
            throw SourceBrokeOff(e);
        }
        phases.Lap(RehearsalPhases.RowCopy);

        progress.Report("building indexes and constraints");
        await RestoreAsync(schemaFile, "post-data", options.Jobs, ownerList, asOwner: true, ct);
        // grants and default privileges run no code: the superuser restores them (the owner could not grant on the
        // extensions' objects, nor set default privileges for other roles)
        await RestoreAsync(schemaFile, null, 1, grantsList, asOwner: false, ct);
        File.Delete(schemaFile);
        File.Delete(ownerList);
        File.Delete(grantsList);
        phases.Lap(RehearsalPhases.PostData);
        progress.Report("analyzing every table");
        // The copied tables only: a bare ANALYZE also walks the ~60 system catalogs (initdb analyzed them already),
        // about half of this step's time on a small copy.
        if (plan.Count > 0) await ExecuteOnTargetAsync(source.Database, $"analyze {string.Join(", ", plan.Select(t => t.Name))}", ct, asOwner: true);
        phases.Lap(RehearsalPhases.Analyze);

        var method = "pg_dump -Fc --schema-only + parallel binary COPY from one snapshot + pg_restore -j (post-data)";
        // the copy's own time: its reading of the source (which ran while the server started) and the rest
        return new CopySummary(method, plan.Count, plan.Count(t => t.Sampled), progress.Copy.Rows, progress.Copy.Bytes, read.Duration + clock.Elapsed, _warnings)
        {
            OwnerRole = Containment.OwnerRole, Neutralised = Containment.Neutralised,
        };
    }

    /// <summary>
    /// Roles first, so the schema keeps its grants (the API roles' privileges matter to the load); then they are
    /// contained (<see cref="CopyContainment.ContainRolesAsync"/>). Statements about the local bootstrap superuser are
    /// skipped: the source does not get to change it (its attributes, its settings).
    /// </summary>
    private async Task CopyRolesAsync(string file, CancellationToken ct)
    {
        // psql meta-commands (\restrict of recent minor releases) are not SQL.
        var sql = string.Join('\n', File.ReadLines(file).Where(l => !l.StartsWith('\\')));
        File.Delete(file);
        await using var connection = await OpenTargetAsync("postgres", ct);
        var bootstrap = new NpgsqlConnectionStringBuilder(Target.ConnectionString).Username ?? "postgres";
        var aboutBootstrap = new System.Text.RegularExpressions.Regex(
            $@"^\s*(create|alter|comment\s+on)\s+role\s+(""{System.Text.RegularExpressions.Regex.Escape(bootstrap)}""|{System.Text.RegularExpressions.Regex.Escape(bootstrap)})(\s|;|$)",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        foreach (var statement in SqlScript.Split(sql).Where(s => !aboutBootstrap.IsMatch(s.Text)))
        {
            try
            {
                await using var command = new NpgsqlCommand(statement.Text, connection);
                await command.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateObject)
            {
                // the bootstrap superuser exists in every cluster
            }
            catch (PostgresException e)
            {
                Warn($"role statement skipped: {e.MessageText} ({Shorten(statement.Text)})");
            }
        }
        await Containment.ContainRolesAsync(connection, ct);
    }

    /// <summary>The archive's contents split into the owner's part and the superuser's grants, each in a file of the cluster's folder.</summary>
    private async Task<(string Owner, string Grants)> ContentsAsync(string schemaFile, SourceCode code, IReadOnlySet<string> schemasMade, CancellationToken ct)
    {
        var list = await _tools.ListAsync(Target, schemaFile, ct);
        if (list.ExitCode != 0) throw new RehearsalException($"pg_restore --list of the source's schema failed: {list.Stderr}");
        var (owner, grants) = CopyContainment.SplitContents(list.Stdout, code, schemasMade);
        var ownerFile = Path.Combine(cluster.Root, "restore-owner.list");
        var grantsFile = Path.Combine(cluster.Root, "restore-grants.list");
        PrivateFiles.Write(ownerFile, owner);
        PrivateFiles.Write(grantsFile, grants);
        return (ownerFile, grantsFile);
    }

    /// <summary>The entries of <paramref name="list"/>, signed in as the copy's owner (objects) or as the superuser (grants only).</summary>
    private async Task RestoreAsync(string file, string? section, int jobs, string list, bool asOwner, CancellationToken ct)
    {
        var restore = await _tools.RestoreAsync(asOwner ? OwnerTarget : Target, file, section, jobs, list, noOwner: asOwner, ct);
        if (restore.ExitCode == 0) return;
        // pg_restore carries on past errors (an extension the local server lacks, say); each one is reported.
        foreach (var line in restore.Stderr.Split('\n').Where(l => l.Contains("error:", StringComparison.Ordinal)))
            Warn($"pg_restore {section}: {line.Trim()}");
        if (!restore.Stderr.Contains("errors ignored on restore", StringComparison.Ordinal))
            throw new RehearsalException($"pg_restore ({section}) into the throwaway cluster failed: {restore.Stderr}");
    }

    private async Task CopyWorkerAsync(Queue<TableToCopy> queue, string snapshot, CancellationToken ct)
    {
        await using var from = new NpgsqlConnection(SourceCheck.ReadOnly(source, "mentorstatus-rehearse-copy"));
        // as the owner: the source's CHECK constraints, generated columns and domains run as it while the rows load
        await using var to = await OpenTargetAsync(source.Database, ct, asOwner: true);
        try
        {
            await SourceCheck.OpenCancellableAsync(from, ct);
            await using (var begin = new NpgsqlCommand(
                $"begin isolation level repeatable read read only; set transaction snapshot '{snapshot}'", from))
                await begin.ExecuteNonQueryAsync(ct);
            while (true)
            {
                TableToCopy? table;
                lock (queue) if (!queue.TryDequeue(out table)) return;
                await CopyTableAsync(from, to, table, ct);
                progress.Copy.TableDone();
            }
        }
        catch (Exception e) when (IsSourceGone(e))
        {
            throw SourceBrokeOff(e);
        }
    }

    private static RehearsalException SourceBrokeOff(Exception e) =>
        new($"the copy from the source broke off: {e.Message}\n  check that the source server is up and reachable, then run again.", e);

    /// <summary>A lost connection to the source, whichever layer noticed it first (Npgsql, or the COPY stream's reader).</summary>
    private static bool IsSourceGone(Exception e) => e switch
    {
        // 22P04 on the copy's target: the source's COPY stream ended early (the source went away mid-table)
        PostgresException p => IsConnectionLoss(p) || p.SqlState == PostgresErrorCodes.BadCopyFileFormat,
        NpgsqlException or IOException or EndOfStreamException => true,
        _ => e.InnerException is { } inner && IsSourceGone(inner),
    };

    /// <summary>Class 08 (connection) and 57 (operator intervention: shutdown, terminated) mean the source went away.</summary>
    private static bool IsConnectionLoss(PostgresException e) =>
        e.SqlState.StartsWith("08", StringComparison.Ordinal) || e.SqlState.StartsWith("57", StringComparison.Ordinal);

    private async Task CopyTableAsync(NpgsqlConnection from, NpgsqlConnection to, TableToCopy table, CancellationToken ct)
    {
        var counter = new CopyRowCounter(binary: !table.TextFormat);
        if (table.TextFormat)
        {
            using var reader = await from.BeginTextExportAsync(table.CopyOut("text"), ct);
            await using var writer = await to.BeginTextImportAsync(table.CopyIn("text"), ct);
            var chars = new char[1 << 15];
            int n;
            while ((n = await reader.ReadAsync(chars, ct)) > 0)
            {
                var rows = chars.AsSpan(0, n).Count('\n');
                await writer.WriteAsync(chars.AsMemory(0, n), ct);
                progress.Copy.Add(rows, n);
            }
            return;
        }
        await using (var input = await from.BeginRawBinaryCopyAsync(table.CopyOut("binary"), ct))
        await using (var output = await to.BeginRawBinaryCopyAsync(table.CopyIn("binary"), ct))
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await input.ReadAsync(buffer, ct)) > 0)
            {
                var before = counter.Rows;
                counter.Feed(buffer.AsSpan(0, n));
                await output.WriteAsync(buffer.AsMemory(0, n), ct);
                progress.Copy.Add(counter.Rows - before, n);
            }
        }
    }

    /// <summary>Sequences keep their position, so the app's inserts on the copy do not collide with copied keys.</summary>
    private async Task CopySequencesAsync(NpgsqlConnection snapshotHolder, CancellationToken ct)
    {
        var sequences = new List<string>();
        await using (var command = new NpgsqlCommand(SelectSequences, snapshotHolder))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) sequences.Add(reader.GetString(0));
        if (sequences.Count == 0) return;
        await using var to = await OpenTargetAsync(source.Database, ct, asOwner: true);
        foreach (var sequence in sequences)
        {
            long value;
            bool called;
            await using (var command = new NpgsqlCommand($"select last_value, is_called from {sequence}", snapshotHolder))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                (value, called) = (reader.GetInt64(0), reader.GetBoolean(1));
            }
            await using var set = new NpgsqlCommand("select setval($1::regclass, $2, $3)", to)
            { Parameters = { new() { Value = sequence }, new() { Value = value }, new() { Value = called } } };
            await set.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>A session on the throwaway server: as the copy's owner, or as the superuser with search_path pinned to pg_catalog.</summary>
    private async Task<NpgsqlConnection> OpenTargetAsync(string database, CancellationToken ct, bool asOwner = false)
    {
        var connection = new NpgsqlConnection(asOwner
            ? new NpgsqlConnectionStringBuilder(Containment.AsOwner(cluster.Target(database)).ConnectionString)
                { Pooling = false, CommandTimeout = 0, ApplicationName = "mentorstatus-rehearse-copy" }.ConnectionString
            : CopyContainment.SuperuserPinned(cluster.Target(database), "mentorstatus-rehearse-copy"));
        await connection.OpenAsync(ct);
        return connection;
    }

    private async Task ExecuteOnTargetAsync(string database, string sql, CancellationToken ct, bool asOwner = false)
    {
        await using var connection = await OpenTargetAsync(database, ct, asOwner);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private void Warn(string warning)
    {
        if (_warnings.Count < MaxWarningsShown) _warnings.Add(warning);
        else if (_warnings.Count == MaxWarningsShown) _warnings.Add("… further warnings not shown");
    }

    private static RehearsalException SourceToolFailed(string tool, string stderr) =>
        new($"{tool} on the source failed: {stderr}\n  check that --from is reachable and its role can read the whole database.");

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    private static string Quote(string name) => new NpgsqlCommandBuilder().QuoteIdentifier(name);

    private static string Shorten(string sql) => LintFinding.Shorten(sql, 80);
}
