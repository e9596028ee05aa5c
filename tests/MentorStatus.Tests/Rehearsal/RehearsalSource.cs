using MentorStatus.Database;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>
/// The "production" database of the rehearse tests, on the suite's cluster: every migration of the repository,
/// 10 k mentors with a login each (one organisation, 10 chapters) and their history loaded with binary COPY,
/// 1 M rows by default (MENTORSTATUS_REHEARSE_TEST_ROWS sets another size, e.g. for a slow CI machine).
/// Read through a role that can only read (pg_read_all_data, and BYPASSRLS so that policies hide no row), as a
/// production user should.
/// </summary>
public sealed class RehearsalSource : IAsyncLifetime
{
    public const string ReaderRole = "rehearse_reader";
    public const string ReaderPassword = "reader-secret";
    public const int Mentors = 10_000;
    public const int Chapters = 10;

    public static long HistoryRows { get; } =
        long.TryParse(Environment.GetEnvironmentVariable("MENTORSTATUS_REHEARSE_TEST_ROWS"), out var rows) && rows >= Mentors ? rows : 1_000_000;

    public DatabaseTarget Owner { get; private set; } = null!;

    /// <summary>The URL a user would give --from: the read-only role.</summary>
    public string ReaderUrl => $"postgresql://{ReaderRole}:{ReaderPassword}@127.0.0.1:{Port}/{Owner.Database}";
    public string OwnerUrl => Owner.Url;
    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        Port = (await TestCluster.GetAsync()).Port;
        Owner = await TestDatabases.MigratedAsync("rehearse_source");
        await using var dataSource = Owner.CreateDataSource();
        await dataSource.ExecuteAsync($"""
            do $$ begin
              if not exists (select 1 from pg_roles where rolname = '{ReaderRole}') then
                create role {ReaderRole} login bypassrls password '{ReaderPassword}' in role pg_read_all_data;
              end if;
            end $$
            """);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var replica = new NpgsqlCommand("set session_replication_role = replica", connection)) await replica.ExecuteNonQueryAsync();
        await LoadAsync(connection, HistoryRows);
        await using (var analyze = new NpgsqlCommand("vacuum analyze", connection)) await analyze.ExecuteNonQueryAsync();
    }

    public static Guid Id(int kind, long n) => new($"{kind:x8}-0000-4000-8000-{n:x12}");

    /// <summary>Loads the mentors and <paramref name="historyRows"/> history rows (triggers off: session_replication_role = replica).</summary>
    internal static async Task LoadAsync(NpgsqlConnection connection, long historyRows)
    {
        var organisation = Id(1, 1);
        await using (var w = await connection.BeginBinaryImportAsync("copy public.organisations (id, name) from stdin (format binary)"))
        {
            await w.WriteRowAsync(default, organisation, "Rehearsal organisation");
            await w.CompleteAsync();
        }
        await using (var w = await connection.BeginBinaryImportAsync("copy public.chapters (id, organisation_id, name) from stdin (format binary)"))
        {
            for (var c = 1; c <= Chapters; c++) await w.WriteRowAsync(default, Id(2, c), organisation, $"Chapter {c}");
            await w.CompleteAsync();
        }
        await using (var w = await connection.BeginBinaryImportAsync("copy auth.users (id, email) from stdin (format binary)"))
        {
            for (var m = 1; m <= Mentors; m++) await w.WriteRowAsync(default, Id(3, m), $"mentor{m}@rehearse.example.org");
            await w.CompleteAsync();
        }
        // Each mentor's history alternates active/paused; the mentor's status is where the history ends.
        var count = new long[Mentors + 1];
        for (long i = 0; i < historyRows; i++) count[i % Mentors + 1]++;
        await using (var w = await connection.BeginBinaryImportAsync(
                         "copy public.peer_mentors (id, user_id, organisation_id, display_name, status) from stdin (format binary)"))
        {
            for (var m = 1; m <= Mentors; m++)
            {
                await w.StartRowAsync();
                await w.WriteAsync(Id(4, m), NpgsqlDbType.Uuid);
                await w.WriteAsync(Id(3, m), NpgsqlDbType.Uuid);
                await w.WriteAsync(organisation, NpgsqlDbType.Uuid);
                await w.WriteAsync($"Mentor {m}", NpgsqlDbType.Text);
                await w.WriteAsync(count[m] % 2 == 1 ? "active" : "paused", NpgsqlDbType.Text);
            }
            await w.CompleteAsync();
        }
        await using (var w = await connection.BeginBinaryImportAsync("copy public.chapter_memberships (mentor_id, chapter_id) from stdin (format binary)"))
        {
            for (var m = 1; m <= Mentors; m++) await w.WriteRowAsync(default, Id(4, m), Id(2, m % Chapters + 1));
            await w.CompleteAsync();
        }
        var start = DateTime.UtcNow.AddYears(-2);
        await using (var w = await connection.BeginBinaryImportAsync(
                         "copy public.peer_mentor_status_history (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason) from stdin (format binary)"))
        {
            for (long i = 0; i < historyRows; i++)
            {
                var m = (int)(i % Mentors) + 1;
                var nth = i / Mentors; // 0 = the mentor's first record
                await w.StartRowAsync();
                await w.WriteAsync(Id(5, i), NpgsqlDbType.Uuid);
                await w.WriteAsync(Id(4, m), NpgsqlDbType.Uuid);
                if (nth == 0) await w.WriteNullAsync();
                else await w.WriteAsync(nth % 2 == 1 ? "active" : "paused", NpgsqlDbType.Text);
                await w.WriteAsync(nth % 2 == 0 ? "active" : "paused", NpgsqlDbType.Text);
                if (nth == 0) await w.WriteNullAsync();
                else await w.WriteAsync(Id(3, m), NpgsqlDbType.Uuid);
                await w.WriteAsync(start.AddSeconds(i), NpgsqlDbType.TimestampTz);
                await w.WriteAsync(nth == 0 ? "initial_status" : nth % 2 == 1 ? "self_pause" : "self_resume", NpgsqlDbType.Text);
            }
            await w.CompleteAsync();
        }
    }

    /// <summary>Row count and an order-independent checksum of every row of every table in public and auth.</summary>
    public async Task<string> FingerprintAsync()
    {
        await using var dataSource = Owner.CreateDataSource();
        var tables = await dataSource.ColumnAsync("""
            select quote_ident(n.nspname) || '.' || quote_ident(c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and n.nspname in ('public', 'auth', 'supabase_migrations') order by 1
            """);
        var parts = new List<string>();
        foreach (var table in tables)
            parts.Add(table + "=" + await dataSource.ScalarAsync<string>(
                $"select count(*)::text || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0)::text from {table} t"));
        return string.Join("\n", parts);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
