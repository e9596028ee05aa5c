using System.Reflection;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus;

/// <summary>
/// Builds the one <see cref="NpgsqlDataSource"/> the library works on (mentor_status mapped to
/// <see cref="MentorState"/>) and checks at start-up that the C# enum and reason codes match the database.
/// </summary>
public static class MentorStatusDataSource
{
    private const string EnumLabelsSql = """
        select e.enumlabel
        from pg_catalog.pg_enum e
        join pg_catalog.pg_type t on t.oid = e.enumtypid
        join pg_catalog.pg_namespace n on n.oid = t.typnamespace
        where n.nspname = 'public' and t.typname = 'mentor_status'
        order by e.enumsortorder
        """;

    /// <summary>The database enum <see cref="MentorState"/> maps to.</summary>
    public const string EnumTypeName = "public.mentor_status";

    private const string MappingProbeSql = "select 'active'::public.mentor_status";

    private const string ReasonCodesSql = "select code from public.mentor_status_reason_codes order by code";

    /// <summary>A data source with the enum mapping, not yet checked. Dispose it when the application stops.</summary>
    /// <remarks>
    /// No Reset On Close: by default Npgsql sends DISCARD ALL when a pooled connection is reused, which also
    /// drops the server's cached plans of change_mentor_status and friends, so every call re-plans them
    /// (measured in BENCHMARKS.md). The library sets only transaction-local state (set local role,
    /// set_config(..., true)), which ends with each transaction; code sharing this data source must not set
    /// session state on its connections.
    /// Auto-prepare: statements used twice are prepared on each connection (parsed and planned once), unless
    /// the connection string sets "Max Auto Prepare" itself. Through a transaction pooler that does not keep
    /// prepared statements (PgBouncer before 1.21, Supavisor on port 6543) set "Max Auto Prepare=0".
    /// </remarks>
    public static NpgsqlDataSource Create(string connectionString) => CreateBuilder(connectionString).Build();

    /// <summary>
    /// The service key of the data source <c>AddMentorStatus</c> registers (a keyed singleton, so an application's own
    /// <see cref="NpgsqlDataSource"/> registration is left alone): <c>[FromKeyedServices(MentorStatusDataSource.ServiceKey)]</c>.
    /// </summary>
    public const string ServiceKey = "MentorStatus";

    /// <summary>The builder <see cref="Create"/> builds: enum mapping, no reset on close, auto-prepare (see there).</summary>
    internal static NpgsqlDataSourceBuilder CreateBuilder(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        if (!SetsAutoPrepare(connectionString))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = AutoPreparedStatements;
            builder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }
        builder.UseMentorStatus();
        return builder;
    }

    /// <summary>Statements the library runs per connection: every call's begin, settings, statement and commit fit.</summary>
    public const int AutoPreparedStatements = 32;

    /// <summary>Whether the connection string chooses auto-prepare itself (any spelling Npgsql accepts).</summary>
    private static bool SetsAutoPrepare(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return given.Keys.Cast<string>().Any(k => k.Replace(" ", "", StringComparison.Ordinal)
            .Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary><see cref="Create"/>, then <see cref="VerifyAsync"/>: fails fast when code and database disagree.</summary>
    public static async Task<NpgsqlDataSource> CreateVerifiedAsync(string connectionString, CancellationToken ct = default)
    {
        var dataSource = Create(connectionString);
        try
        {
            await VerifyAsync(dataSource, ct);
            return dataSource;
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Compares <see cref="MentorState"/> with pg_enum and <see cref="ReasonCodes.All"/> with
    /// mentor_status_reason_codes. Throws <see cref="SchemaMismatchException"/> naming every difference.
    /// </summary>
    public static async Task VerifyAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        var problems = new List<string>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        var dbLabels = await ReadColumnAsync(connection, EnumLabelsSql, ct);
        if (dbLabels.Count == 0)
            throw new SchemaMismatchException(
                "type public.mentor_status does not exist in the database: apply the migrations first (`mentorstatus db up`).");
        await VerifyEnumMappingAsync(connection, ct);
        var codeLabels = EnumLabels().ToList();
        Compare("mentor_status label", codeLabels, dbLabels, $"enum {nameof(MentorState)}", "pg_enum", problems);
        if (problems.Count == 0 && !codeLabels.SequenceEqual(dbLabels))
            problems.Add($"mentor_status labels are in a different order: C# [{string.Join(", ", codeLabels)}], database [{string.Join(", ", dbLabels)}]");

        List<string> dbCodes;
        try
        {
            dbCodes = await ReadColumnAsync(connection, ReasonCodesSql, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw new SchemaMismatchException(
                "table public.mentor_status_reason_codes does not exist in the database: apply the migrations first (`mentorstatus db up`).");
        }
        Compare("reason code", ReasonCodes.All, dbCodes, nameof(ReasonCodes), "public.mentor_status_reason_codes", problems);

        if (problems.Count > 0)
            throw new SchemaMismatchException(
                "the mentor-status code and the database disagree — " + string.Join("; ", problems) +
                ". Deploy the code that matches the applied migrations (or apply the migrations this code expects).");
    }

    /// <summary>
    /// Reads one mentor_status value as <see cref="MentorState"/>: a data source built without the mapping
    /// reads it as text, so every status read of the library would throw InvalidCastException later.
    /// </summary>
    private static async Task VerifyEnumMappingAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(MappingProbeSql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        try
        {
            _ = reader.GetFieldValue<MentorState>(0);
        }
        catch (Exception e) when (e is InvalidCastException or NotSupportedException)
        {
            throw new SchemaMismatchException(
                $"this NpgsqlDataSource does not map {EnumTypeName} to {nameof(MentorState)}: build it with " +
                $"`new NpgsqlDataSourceBuilder(connectionString).UseMentorStatus()` (or use services.AddMentorStatus(...) / " +
                $"MentorStatusDataSource.Create), otherwise every status read fails with InvalidCastException.");
        }
    }

    /// <summary>The database labels of <see cref="MentorState"/>, from its [PgName] attributes.</summary>
    public static IEnumerable<string> EnumLabels() =>
        typeof(MentorState).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<PgNameAttribute>()?.PgName ?? f.Name.ToLowerInvariant());

    private static void Compare(string what, IEnumerable<string> code, IReadOnlyCollection<string> database,
        string codeName, string databaseName, List<string> problems)
    {
        var codeSet = code.ToHashSet(StringComparer.Ordinal);
        var dbSet = database.ToHashSet(StringComparer.Ordinal);
        var onlyDb = dbSet.Except(codeSet).Order().ToList();
        var onlyCode = codeSet.Except(dbSet).Order().ToList();
        if (onlyDb.Count > 0) problems.Add($"{what}(s) in {databaseName} but not in {codeName}: {string.Join(", ", onlyDb)}");
        if (onlyCode.Count > 0) problems.Add($"{what}(s) in {codeName} but not in {databaseName}: {string.Join(", ", onlyCode)}");
    }

    private static async Task<List<string>> ReadColumnAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<string>();
        while (await reader.ReadAsync(ct)) list.Add(reader.GetString(0));
        return list;
    }
}
