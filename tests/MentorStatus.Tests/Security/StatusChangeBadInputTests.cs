using MentorStatus.Database;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Security;

/// <summary>
/// Bad input to public.change_mentor_status, on the seeded database: each call is refused with its
/// own SQLSTATE and a clear message, and nothing is written (peer_mentors and history unchanged).
/// </summary>
public sealed class StatusChangeBadInputTests
{
    private static readonly string OneMegabyte = new('x', 1024 * 1024);
    private static readonly Guid NoSuchMentor = Guid.Parse("00000000-0000-4000-afff-000000000404");

    /// <summary>One bad call: who calls, with which arguments (status as text, cast by the server), and what must come back.</summary>
    public sealed record BadCall(string Actor, Guid? Mentor, string? Status, string? Reason, string SqlState, string MessageFragment);

    public static readonly IReadOnlyDictionary<string, BadCall> Calls = new Dictionary<string, BadCall>
    {
        ["unknown reason code"] =
            new("alva", Seed.Mentors.Alva, "paused", "feeling_unwell", "MS422", "unknown reason code \"feeling_unwell\""),
        ["coordinator code used by the mentor"] =
            new("alva", Seed.Mentors.Alva, "paused", "coordinator_manual_pause", "MS403", "reason \"coordinator_manual_pause\" may not be used by you for this mentor"),
        ["mentor code used by a coordinator on a mentor of the chapter"] =
            new("nora", Seed.Mentors.Alva, "paused", "self_pause", "MS403", "reason \"self_pause\" may not be used by you for this mentor"),
        ["system code through the rpc"] =
            new("nora", Seed.Mentors.Alva, "paused", "certification_expired", "MS403", "reason \"certification_expired\" may not be used"),
        ["illegal transition: resume an active mentor"] =
            new("alva", Seed.Mentors.Alva, "active", "self_resume", "MS409", "reason \"self_resume\" does not allow active -> active"),
        ["illegal transition: pause a paused mentor"] =
            new("cai", Seed.Mentors.Cai, "paused", "self_pause", "MS409", "reason \"self_pause\" does not allow paused -> paused"),
        ["illegal transition: a pause code to inactive"] =
            new("alva", Seed.Mentors.Alva, "inactive", "self_pause", "MS409", "does not allow active -> inactive"),
        ["illegal transition: resume an inactive mentor"] =
            new("sara", Seed.Mentors.Fen, "active", "coordinator_resume", "MS409", "does not allow inactive -> active"),
        ["nonexistent mentor"] =
            new("nora", NoSuchMentor, "paused", "coordinator_manual_pause", "MS404", $"mentor {NoSuchMentor} not found"),
        ["existing mentor of another chapter: same error as nonexistent"] =
            new("rami", Seed.Mentors.Alva, "paused", "coordinator_manual_pause", "MS404", $"mentor {Seed.Mentors.Alva} not found"),
        ["NULL status"] =
            new("alva", Seed.Mentors.Alva, null, "self_pause", "MS400", "mentor id, new status and reason are all required"),
        ["NULL reason"] =
            new("alva", Seed.Mentors.Alva, "paused", null, "MS400", "mentor id, new status and reason are all required"),
        ["NULL mentor id"] =
            new("alva", null, "paused", "self_pause", "MS400", "mentor id, new status and reason are all required"),
        ["invalid status text"] =
            new("alva", Seed.Mentors.Alva, "unwell", "self_pause", "22P02", "invalid input value for enum mentor_status: \"unwell\""),
        ["status with different case"] =
            new("alva", Seed.Mentors.Alva, "Paused", "self_pause", "22P02", "invalid input value for enum"),
        ["SQL fragment in the reason: statement injection"] =
            new("alva", Seed.Mentors.Alva, "paused", "self_pause'; delete from public.peer_mentors; --", "MS422", "unknown reason code (not a code: 48 characters, not repeated here)"),
        ["SQL fragment in the reason: tautology"] =
            new("alva", Seed.Mentors.Alva, "paused", "x' or '1'='1", "MS422", "unknown reason code (not a code: 12 characters, not repeated here)"),
        ["reason code with trailing space"] =
            new("alva", Seed.Mentors.Alva, "paused", "self_pause ", "MS422", "unknown reason code (not a code: 11 characters, not repeated here)"),
        ["1 MB reason string"] =
            new("alva", Seed.Mentors.Alva, "paused", OneMegabyte, "MS413", "reason is 1048576 characters long; the limit is 63 characters"),
        ["no user in the JWT"] =
            new("authenticated-without-sub", Seed.Mentors.Alva, "paused", "self_pause", "MS401", "no authenticated user"),
        ["anon calls the rpc"] =
            new("anon", Seed.Mentors.Alva, "paused", "self_pause", "42501", "permission denied for function change_mentor_status"),
        ["service_role calls the rpc"] =
            new("service_role", Seed.Mentors.Alva, "paused", "certification_expired", "42501", "permission denied for function change_mentor_status"),
    };

    public static TheoryData<string> CallNames() => new(Calls.Keys);

    private static readonly Lazy<Task<DatabaseTarget>> Database = new(() => TestDatabases.SeededAsync("badinput"));

    [Theory]
    [MemberData(nameof(CallNames))]
    public async Task RefusedWithItsErrorAndNothingWritten(string name)
    {
        var call = Calls[name];
        var actor = call.Actor == "authenticated-without-sub" ? new Actor("authenticated without sub", "authenticated", null) : Seed.Actors[call.Actor];
        await using var dataSource = (await Database.Value).CreateDataSource();
        var before = await StateAsync(dataSource);

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await connection.ActAsAsync(actor);
            await connection.RowsAsync("select * from public.change_mentor_status($1, $2::public.mentor_status, $3)",
                call.Mentor, call.Status, call.Reason);
            await tx.CommitAsync(); // only reached if the call was (wrongly) accepted
        });

        Assert.True(error.SqlState == call.SqlState, $"{name}: expected SQLSTATE {call.SqlState}, got {error.SqlState}: {Shorten(error.MessageText)}");
        Assert.Contains(call.MessageFragment, error.MessageText);
        Assert.Equal(before, await StateAsync(dataSource));
    }

    [Fact]
    public async Task FreeTextReasonIsRefusedByTheForeignKeyEvenForTheOwner()
    {
        var target = await TestDatabases.SeededAsync("freetextreason");
        await using var dataSource = target.CreateDataSource();
        var before = await StateAsync(dataSource);
        var error = await Assert.ThrowsAsync<PostgresException>(() => dataSource.ExecuteAsync(
            "insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, reason) values ($1, 'active', 'paused', 'has a heart condition')",
            Seed.Mentors.Alva));
        Assert.Equal("23503", error.SqlState);
        Assert.Equal("peer_mentor_status_history_reason_fkey", error.ConstraintName);
        Assert.Equal(before, await StateAsync(dataSource));
    }

    [Fact]
    public async Task AuthenticatedCannotCallTheSystemPath()
    {
        await using var dataSource = (await Database.Value).CreateDataSource();
        var before = await StateAsync(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ActAsAsync(Seed.Actors["nora"]);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.RowsAsync(
            "select * from mentor_status_private.record_system_status_change($1, 'paused', 'certification_expired', null)", Seed.Mentors.Alva));
        Assert.Equal("42501", error.SqlState);
        await tx.RollbackAsync();
        Assert.Equal(before, await StateAsync(dataSource));
    }

    [Fact]
    public async Task TheSameCallWithGoodInputSucceeds()
    {
        // Guards the theory above against passing for the wrong reason (e.g. every call failing).
        var target = await TestDatabases.SeededAsync("goodinput");
        await using var dataSource = target.CreateDataSource();
        var before = await StateAsync(dataSource);
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await connection.ActAsAsync(Seed.Actors["alva"]);
            await connection.RowsAsync("select * from public.change_mentor_status($1, $2::public.mentor_status, $3)",
                Seed.Mentors.Alva, "paused", "self_pause");
            await tx.CommitAsync();
        }
        var after = await StateAsync(dataSource);
        Assert.Equal(before.HistoryRows + 1, after.HistoryRows);
        Assert.NotEqual(before.Statuses, after.Statuses);
    }

    private sealed record State(long MentorRows, long HistoryRows, string Statuses, string HistoryDigest);

    private static async Task<State> StateAsync(NpgsqlDataSource dataSource) => new(
        await dataSource.ScalarAsync<long>("select count(*) from public.peer_mentors"),
        await dataSource.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history"),
        await dataSource.ScalarAsync<string>("select string_agg(id || '=' || status || '@' || coalesce(status_changed_at::text, '-'), ',' order by id) from public.peer_mentors"),
        await dataSource.ScalarAsync<string>("select md5(string_agg(h::text, ',' order by id)) from public.peer_mentor_status_history h"));

    private static string Shorten(string s) => s.Length > 300 ? s[..300] + "…" : s;
}
