using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Reliability;
using Npgsql;
using NpgsqlTypes;

namespace MentorStatus.Tests.Security;

/// <summary>
/// Issue 10, part 2, the paths SQL files cannot take: COPY (binary, as an import loads mentors; text; as the owner and as
/// service_role), the library's user and system paths and the set-based job, on the seeded database. Afterwards every
/// mentor's history starts with one initial_status record and ends with its current status (the SQL paths are in
/// supabase/tests/041_history_from_the_first_status.sql).
/// </summary>
public sealed class StatusHistoryPathTests
{
    private const string Org = "00000000-0000-4000-a001-000000000001";

    [Fact]
    public async Task EveryPathLeavesEachMentorWithTheHistoryOfItsStatus()
    {
        var target = await TestDatabases.SeededAsync("history_paths");
        await using var data = target.CreateDataSource();
        await using var library = MentorStatusDataSource.Create(target.ConnectionString);
        var imported = new List<Guid>();

        // COPY, binary, as the owner: the import path (the bench loads the same way)
        await using (var connection = await library.OpenConnectionAsync())
        await using (var copy = await connection.BeginBinaryImportAsync(
                         "copy public.peer_mentors (id, organisation_id, display_name, status, created_at) from stdin (format binary)"))
        {
            for (var i = 0; i < 50; i++)
            {
                var id = Guid.NewGuid();
                imported.Add(id);
                await copy.StartRowAsync();
                await copy.WriteAsync(id, NpgsqlDbType.Uuid);
                await copy.WriteAsync(Guid.Parse(Org), NpgsqlDbType.Uuid);
                await copy.WriteAsync($"Imported {i}", NpgsqlDbType.Text);
                await copy.WriteAsync(i % 3 == 0 ? MentorState.Paused : i % 3 == 1 ? MentorState.Inactive : MentorState.Active);
                await copy.WriteAsync(DateTime.UtcNow.AddDays(-i - 1), NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        Assert.Equal(50L, await data.ScalarAsync<long>(
            "select count(*) from public.peer_mentor_status_history where mentor_id = any($1) and reason = 'initial_status' and previous_status is null and changed_by is null",
            imported.ToArray()));
        Assert.Equal(0L, await data.ScalarAsync<long>("""
            select count(*) from public.peer_mentor_status_history h join public.peer_mentors m on m.id = h.mentor_id
            where m.id = any($1) and (h.new_status <> m.status or h.changed_at <> m.created_at)
            """, imported.ToArray()));

        // COPY, text, as service_role (it bypasses RLS and holds INSERT on peer_mentors, but none on the history)
        var byService = Guid.NewGuid();
        await using (var connection = await data.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await using (var role = new NpgsqlCommand("set local role service_role", connection, tx)) await role.ExecuteNonQueryAsync();
            await using (var writer = await connection.BeginTextImportAsync("copy public.peer_mentors (id, organisation_id, display_name, status) from stdin"))
                await writer.WriteAsync($"{byService}\t{Org}\tImported by service_role\tpaused\n");
            await tx.CommitAsync();
        }
        Assert.Equal("paused", await data.ScalarAsync<string>(
            "select new_status::text from public.peer_mentor_status_history where mentor_id = $1 and reason = 'initial_status'", byService));

        // COPY by a signed-in user is refused, and leaves nothing
        var byUser = Guid.NewGuid();
        await using (var connection = await data.OpenConnectionAsync())
        {
            await using var tx = await connection.BeginTransactionAsync();
            await connection.ActAsAsync(Seed.Actors["nora"]);
            var refused = await Record.ExceptionAsync(async () =>
            {
                await using var writer = await connection.BeginTextImportAsync("copy public.peer_mentors (id, organisation_id, display_name) from stdin");
                await writer.WriteAsync($"{byUser}\t{Org}\tImported by a coordinator\n");
            });
            Assert.IsType<PostgresException>(refused);
        }
        Assert.Equal(0L, await data.ScalarAsync<long>("select count(*) from public.peer_mentors where id = $1", byUser));

        // The owner's bare UPDATE of a status is refused; the library's paths and the job go through
        var bare = await Record.ExceptionAsync(() => data.ExecuteAsync("update public.peer_mentors set status = 'active' where id = any($1)", imported.ToArray()));
        Assert.Equal("MS101", Assert.IsType<PostgresException>(bare).SqlState);

        var repo = new MentorStatusRepository(library);
        await repo.ChangeStatusAsync(Caller.User(Guid.Parse(Faults.AlvaUser)), Guid.Parse(Faults.Alva), MentorState.Paused, ReasonCodes.SelfPause);
        await repo.ChangeStatusAsync(Caller.User(Guid.Parse(Faults.Sara)), Guid.Parse(Faults.Eli), MentorState.Inactive, ReasonCodes.CoordinatorDeactivate);
        await data.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() - interval '1 day' where id = any($1) and status = 'active'", imported.ToArray());
        var run = await new CertificationExpiryJob(library, options: new CertificationExpiryJobOptions { BatchSize = 7 }).RunAsync();
        Assert.Equal(3 + 16, run.MentorsPaused); // Bo, Dara, Gus of the seed, and the 16 active imported mentors

        // history == status, for every mentor of every path
        await Faults.AssertHistoryChainsConsistentAsync(data);
        Assert.Equal(0L, await data.ScalarAsync<long>("""
            select count(*) from public.peer_mentors m
            where (select count(*) from public.peer_mentor_status_history h where h.mentor_id = m.id and h.reason = 'initial_status') <> 1
            """));
    }
}
