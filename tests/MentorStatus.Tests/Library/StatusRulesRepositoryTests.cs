using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Library;

/// <summary>
/// Issue 10 through the C# library: the new refusals arrive as their own typed exceptions (MS412 rules, MS413 too long,
/// MS429 rate limit) with the message a person acts on, nothing is written, and the repository answers what a user may do.
/// </summary>
public sealed class StatusRulesRepositoryTests
{
    /// <summary>Chapter A with coordinator Ann and mentor M (login, certification valid for a year).</summary>
    private sealed record World(LibraryDatabase Db, Guid Ann, Guid M, Guid MUser, MentorStatusRepository Repo)
    {
        public static async Task<World> CreateAsync(string purpose)
        {
            var db = await LibraryDatabase.CreateAsync(purpose);
            var org = await db.OrganisationAsync();
            var a = await db.ChapterAsync(org, "A");
            var ann = await db.CoordinatorAsync([a]);
            var m = await db.MentorAsync(org, [a], expiresInDays: 365, withLogin: true, name: "M");
            return new World(db, ann, m, await db.UserOfMentorAsync(m), new MentorStatusRepository(db.DataSource));
        }

        public Task<long> RecordsAsync() => Db.CountAsync("select count(*) from public.peer_mentor_status_history where mentor_id = $1", M);
    }

    [Fact]
    public async Task AMentorCannotResumeOutOfACoordinatorsPause_TheErrorSaysWhoMay()
    {
        var w = await World.CreateAsync("rules_repo_cause");
        await using var _ = w.Db;
        await w.Repo.ChangeStatusAsync(Caller.User(w.Ann), w.M, MentorState.Paused, ReasonCodes.CoordinatorManualPause);
        var records = await w.RecordsAsync();

        var e = await Assert.ThrowsAsync<StatusRuleViolationException>(() =>
            w.Repo.ChangeStatusAsync(Caller.User(w.MUser), w.M, MentorState.Active, ReasonCodes.SelfResume));

        Assert.Equal("MS412", e.SqlState);
        Assert.Contains("paused by coordinator_manual_pause", e.Message);
        Assert.Contains("a coordinator of one of the mentor's chapters (coordinator_resume)", e.Message);
        Assert.Equal(records, await w.RecordsAsync());
        Assert.Equal("paused", await w.Db.StatusAsync(w.M));

        // the coordinator may, and then the mentor is active again
        await w.Repo.ChangeStatusAsync(Caller.User(w.Ann), w.M, MentorState.Active, ReasonCodes.CoordinatorResume);
        Assert.Equal("active", await w.Db.StatusAsync(w.M));
    }

    [Fact]
    public async Task ACertificationPauseEndsWithRenewalOrTheCoordinatorsOverride_NotTheMentor()
    {
        var w = await World.CreateAsync("rules_repo_cert");
        await using var _ = w.Db;
        await w.Db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() - interval '1 day' where id = $1", w.M);
        Assert.Equal(1, (await new CertificationExpiryJob(w.Db.DataSource).RunAsync()).MentorsPaused);

        await Assert.ThrowsAsync<StatusRuleViolationException>(() =>
            w.Repo.ChangeStatusAsync(Caller.User(w.MUser), w.M, MentorState.Active, ReasonCodes.SelfResume));
        await Assert.ThrowsAsync<StatusRuleViolationException>(() =>
            w.Repo.ChangeStatusAsync(Caller.User(w.Ann), w.M, MentorState.Active, ReasonCodes.CoordinatorResume));
        var stillExpired = await Assert.ThrowsAsync<StatusRuleViolationException>(() =>
            w.Repo.ChangeStatusAsync(Caller.Service, w.M, MentorState.Active, ReasonCodes.CertificationRenewed));
        Assert.Contains("certification that expires in the future", stillExpired.Message);

        var allowed = await w.Repo.GetAllowedStatusChangesAsync(Caller.User(w.Ann), w.M);
        Assert.Equal([ReasonCodes.CoordinatorCertificationOverride, ReasonCodes.CoordinatorDeactivate], allowed.Select(a => a.ReasonCode));
        Assert.Empty(await w.Repo.GetAllowedStatusChangesAsync(Caller.User(w.MUser), w.M));

        var change = await w.Repo.ChangeStatusAsync(Caller.User(w.Ann), w.M, MentorState.Active, ReasonCodes.CoordinatorCertificationOverride);
        Assert.Equal((MentorState.Paused, MentorState.Active, (Guid?)w.Ann), (change.PreviousStatus!.Value, change.NewStatus, change.ChangedBy));
    }

    [Fact]
    public async Task AnOversizedReasonIsArgumentTooLong_NamingTheLimit()
    {
        var w = await World.CreateAsync("rules_repo_long");
        await using var _ = w.Db;
        var e = await Assert.ThrowsAsync<ArgumentTooLongException>(() =>
            w.Repo.ChangeStatusAsync(Caller.User(w.MUser), w.M, MentorState.Paused, new string('x', 10_000)));
        Assert.Equal("MS413", e.SqlState);
        Assert.Contains("the limit is 63 characters", e.Message);
        Assert.DoesNotContain("xxxxxxxx", e.Message);
        Assert.Equal(1, await w.RecordsAsync());
    }

    [Fact]
    public async Task TheEleventhOwnChangeInADayIsRateLimited_TheCoordinatorIsNot()
    {
        var w = await World.CreateAsync("rules_repo_rate");
        await using var _ = w.Db;
        for (var i = 0; i < 5; i++)
        {
            await w.Repo.ChangeStatusAsync(Caller.User(w.MUser), w.M, MentorState.Paused, ReasonCodes.SelfPause);
            await w.Repo.ChangeStatusAsync(Caller.User(w.MUser), w.M, MentorState.Active, ReasonCodes.SelfResume);
        }

        var e = await Assert.ThrowsAsync<StatusChangeRateLimitedException>(() =>
            w.Repo.ChangeStatusAsync(Caller.User(w.MUser), w.M, MentorState.Paused, ReasonCodes.SelfPause));
        Assert.Equal("MS429", e.SqlState);
        Assert.Contains("10 times in the last 24 hours; the limit is 10", e.Message);
        Assert.Contains("your next change is possible after", e.Message);
        Assert.Equal(11, await w.RecordsAsync());
        Assert.Empty(await w.Repo.GetAllowedStatusChangesAsync(Caller.User(w.MUser), w.M));

        await w.Repo.ChangeStatusAsync(Caller.User(w.Ann), w.M, MentorState.Paused, ReasonCodes.CoordinatorManualPause);
        await w.Repo.ChangeStatusAsync(Caller.User(w.Ann), w.M, MentorState.Active, ReasonCodes.CoordinatorResume);
        Assert.Equal("active", await w.Db.StatusAsync(w.M));
    }

    [Fact]
    public async Task AllowedChangesAreForSignedInUsers_AndEmptyForAStranger()
    {
        var w = await World.CreateAsync("rules_repo_allowed");
        await using var _ = w.Db;
        var stranger = await w.Db.UserAsync();

        Assert.Equal([ReasonCodes.SelfPause], (await w.Repo.GetAllowedStatusChangesAsync(Caller.User(w.MUser), w.M)).Select(a => a.ReasonCode));
        Assert.Equal([ReasonCodes.CoordinatorDeactivate, ReasonCodes.CoordinatorManualPause],
            (await w.Repo.GetAllowedStatusChangesAsync(Caller.User(w.Ann), w.M)).Select(a => a.ReasonCode));
        Assert.Empty(await w.Repo.GetAllowedStatusChangesAsync(Caller.User(stranger), w.M));
        Assert.Empty(await w.Repo.GetAllowedStatusChangesAsync(Caller.User(stranger), Guid.NewGuid()));
        await Assert.ThrowsAsync<ArgumentException>(() => w.Repo.GetAllowedStatusChangesAsync(Caller.Service, w.M));
    }
}
