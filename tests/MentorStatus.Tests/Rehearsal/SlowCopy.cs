using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>
/// A source table whose rows are slow to load into the copy, so a test can act while `db rehearse` is provably
/// in its row-copy phase (the copy cannot finish first). Its CHECK constraint calls a function that sleeps per row,
/// except in the session that loaded it on the source; pg_dump carries the constraint into the throwaway cluster,
/// whose COPY FROM then checks every row: <see cref="Rows"/> rows take at least <see cref="MinimumLoad"/> there.
/// The rows (4 KB each, ≈ 165 MB on the wire) are far more than the sockets between the servers buffer, so the
/// source's COPY stays active (blocked on sending) all that time, and what is buffered drains in seconds. Nothing in the production code knows about it: an expensive CHECK is real.
/// </summary>
internal static class SlowCopy
{
    public const string Table = "public.slow_to_load";
    public const int Rows = 40_000;
    private const double SecondsPerRow = 0.005;
    public static readonly TimeSpan MinimumLoad = TimeSpan.FromSeconds(Rows * SecondsPerRow);

    /// <summary>Creates the table and its rows in <paramref name="database"/> (the check is validated, quickly, in this session).</summary>
    public static async Task CreateAsync(NpgsqlDataSource database)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand($"""
            create function public.slow_to_check() returns boolean language plpgsql volatile as $$
            begin
              perform pg_sleep(case when current_setting('mentorstatus_test.fast_check', true) = 'on' then 0 else {SecondsPerRow.ToString(System.Globalization.CultureInfo.InvariantCulture)} end);
              return true;
            end $$;
            create table {Table} (id int primary key, payload text not null);
            insert into {Table} select g, repeat(md5(g::text), 128) from generate_series(1, {Rows}) g;
            set mentorstatus_test.fast_check = on;
            alter table {Table} add constraint slow_to_load_check check (public.slow_to_check());
            analyze {Table};
            """, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Whether the source shows the rehearsal's COPY of the rows running (what "in the copy phase" means on the source).</summary>
    public static async Task<bool> CopyActiveAsync(NpgsqlDataSource sourceServer) =>
        await sourceServer.ScalarAsync<long>(
            "select count(*) from pg_stat_activity where application_name = 'mentorstatus-rehearse-copy' and query ilike 'copy%' and state = 'active'") > 0;
}
