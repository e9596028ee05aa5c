using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Library;

public sealed class RepositoryTests
{
    /// <summary>Chapter A (coordinator Ann) with mentors M1 (login) and M2; chapter B (coordinator Ben) with M3.</summary>
    private sealed record World(LibraryDatabase Db, Guid Ann, Guid Ben, Guid M1, Guid M1User, Guid M2, Guid M3)
    {
        public static async Task<World> CreateAsync(string purpose)
        {
            var db = await LibraryDatabase.CreateAsync(purpose);
            var org = await db.OrganisationAsync();
            var a = await db.ChapterAsync(org, "A");
            var b = await db.ChapterAsync(org, "B");
            var ann = await db.CoordinatorAsync([a]);
            var ben = await db.CoordinatorAsync([b]);
            var m1 = await db.MentorAsync(org, [a], withLogin: true, name: "M1");
            var m2 = await db.MentorAsync(org, [a], withLogin: true, name: "M2");
            var m3 = await db.MentorAsync(org, [b], withLogin: true, name: "M3");
            return new World(db, ann, ben, m1, await db.UserOfMentorAsync(m1), m2, m3);
        }
    }

    [Fact]
    public async Task MentorPausesThemselfThroughRls_ChangedByIsTheUser()
    {
        var w = await World.CreateAsync("repo_self");
        await using var _ = w.Db;
        var repo = new MentorStatusRepository(w.Db.DataSource);

        var change = await repo.ChangeStatusAsync(Caller.User(w.M1User), w.M1, MentorState.Paused, ReasonCodes.SelfPause);

        Assert.Equal(MentorState.Active, change.PreviousStatus);
        Assert.Equal(MentorState.Paused, change.NewStatus);
        Assert.Equal(w.M1User, change.ChangedBy);
        Assert.Equal("paused", await w.Db.StatusAsync(w.M1));
    }

    [Fact]
    public async Task CoordinatorChangesMentorOfTheirChapter_ButNotOfAnotherChapter()
    {
        var w = await World.CreateAsync("repo_coord");
        await using var _ = w.Db;
        var repo = new MentorStatusRepository(w.Db.DataSource);

        var change = await repo.ChangeStatusAsync(Caller.User(w.Ann), w.M1, MentorState.Paused, ReasonCodes.CoordinatorManualPause);
        Assert.Equal(w.Ann, change.ChangedBy);

        var e = await Assert.ThrowsAsync<MentorNotFoundException>(() =>
            repo.ChangeStatusAsync(Caller.User(w.Ann), w.M3, MentorState.Paused, ReasonCodes.CoordinatorManualPause));
        Assert.Equal(w.M3, e.MentorId);
        Assert.Equal("active", await w.Db.StatusAsync(w.M3));
        // only the initial record its insert wrote (issue 10)
        Assert.Equal(1, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where mentor_id = $1", w.M3));
    }

    [Fact]
    public async Task ReadsAreDecidedByRls_ServiceSeesEverything()
    {
        var w = await World.CreateAsync("repo_reads");
        await using var _ = w.Db;
        var repo = new MentorStatusRepository(w.Db.DataSource);
        await repo.ChangeStatusAsync(Caller.User(w.Ben), w.M3, MentorState.Paused, ReasonCodes.CoordinatorManualPause);
        Guid[] all = [w.M1, w.M2, w.M3];

        var asAnn = await repo.GetCurrentStatusesAsync(Caller.User(w.Ann), all);
        Assert.Equal(new[] { w.M1, w.M2 }.Order(), asAnn.Keys.Order());

        var asM1 = await repo.GetCurrentStatusesAsync(Caller.User(w.M1User), all);
        Assert.Equal([w.M1], asM1.Keys);

        var asService = await repo.GetCurrentStatusesAsync(Caller.Service, all);
        Assert.Equal(3, asService.Count);
        Assert.Equal(MentorState.Paused, asService[w.M3].Status);
        Assert.Equal("M3", asService[w.M3].DisplayName);

        // M3's history (its initial record and Ben's pause): Ben sees it, Ann (other chapter) sees an empty timeline.
        Assert.Equal(2, (await repo.GetTimelineAsync(Caller.User(w.Ben), w.M3)).Items.Count);
        Assert.Empty((await repo.GetTimelineAsync(Caller.User(w.Ann), w.M3)).Items);
        Assert.Equal(2, (await repo.GetTimelineAsync(Caller.Service, w.M3)).Items.Count);
    }

    [Fact]
    public async Task ServiceChangesThroughTheSystemPath_WithSystemCodesOnly()
    {
        var w = await World.CreateAsync("repo_service");
        await using var _ = w.Db;
        var repo = new MentorStatusRepository(w.Db.DataSource);
        // issue 10: certification_renewed resumes only a pause the certification job made, with a renewed certification
        await w.Db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() - interval '1 day' where id = $1", w.M1);
        await repo.ChangeStatusAsync(Caller.Service, w.M1, MentorState.Paused, ReasonCodes.CertificationExpired);
        await w.Db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() + interval '1 year' where id = $1", w.M1);

        var change = await repo.ChangeStatusAsync(Caller.Service, w.M1, MentorState.Active, ReasonCodes.CertificationRenewed);
        Assert.Null(change.ChangedBy);
        Assert.Equal(MentorState.Paused, change.PreviousStatus);
        Assert.Equal("active", await w.Db.StatusAsync(w.M1));

        await Assert.ThrowsAsync<StatusChangeNotAllowedException>(() =>
            repo.ChangeStatusAsync(Caller.Service, w.M1, MentorState.Paused, ReasonCodes.CoordinatorManualPause));
    }

    [Fact]
    public async Task TypedErrors_AndNothingWritten()
    {
        var w = await World.CreateAsync("repo_errors");
        await using var _ = w.Db;
        var repo = new MentorStatusRepository(w.Db.DataSource);

        var unknown = await Assert.ThrowsAsync<UnknownReasonCodeException>(() =>
            repo.ChangeStatusAsync(Caller.User(w.M1User), w.M1, MentorState.Paused, "felt_unwell"));
        Assert.Equal("felt_unwell", unknown.Reason);
        await Assert.ThrowsAsync<StatusChangeNotAllowedException>(() =>
            repo.ChangeStatusAsync(Caller.User(w.M1User), w.M1, MentorState.Paused, ReasonCodes.CoordinatorManualPause));
        await Assert.ThrowsAsync<IllegalStatusTransitionException>(() =>
            repo.ChangeStatusAsync(Caller.User(w.M1User), w.M1, MentorState.Active, ReasonCodes.SelfResume));
        await Assert.ThrowsAsync<MentorNotFoundException>(() =>
            repo.ChangeStatusAsync(Caller.User(w.Ann), Guid.NewGuid(), MentorState.Paused, ReasonCodes.CoordinatorManualPause));

        Assert.Equal(0, await w.Db.CountAsync("select count(*) from public.peer_mentor_status_history where reason <> 'initial_status'"));
        Assert.Equal("active", await w.Db.StatusAsync(w.M1));
    }

    [Fact]
    public async Task LockHeldTooLong_BecomesConcurrentStatusChange_AfterRetries()
    {
        var w = await World.CreateAsync("repo_lock");
        await using var _ = w.Db;
        var retry = new RetryOptions { MaxAttempts = 2, LockTimeout = TimeSpan.FromMilliseconds(100), BaseDelay = TimeSpan.FromMilliseconds(1) };
        var repo = new MentorStatusRepository(w.Db.DataSource, retry);

        await using var blocker = await w.Db.DataSource.OpenConnectionAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from public.peer_mentors where id = $1 for update", blocker) { Parameters = { new() { Value = w.M1 } } })
            await lockRow.ExecuteNonQueryAsync();

        var e = await Assert.ThrowsAsync<ConcurrentStatusChangeException>(() =>
            repo.ChangeStatusAsync(Caller.User(w.M1User), w.M1, MentorState.Paused, ReasonCodes.SelfPause));
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, e.SqlState);
        await tx.RollbackAsync();

        // Once the lock is gone the same call goes through.
        await repo.ChangeStatusAsync(Caller.User(w.M1User), w.M1, MentorState.Paused, ReasonCodes.SelfPause);
        Assert.Equal("paused", await w.Db.StatusAsync(w.M1));
    }

    [Fact]
    public async Task Timeline_KeysetPagesOverTiesOfChangedAt_NewestFirst_EachRecordOnce()
    {
        var w = await World.CreateAsync("repo_paging");
        await using var _ = w.Db;
        // 11 records: 7 share one changed_at (ties), 4 are older. Written as the owner, as a fixture.
        await w.Db.DataSource.ExecuteAsync("""
            insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_at, reason)
            select $1, 'active', 'paused', timestamptz '2026-05-01 12:00:00+00' - case when g <= 7 then interval '0' else make_interval(mins => g) end, 'self_pause'
            from generate_series(1, 11) g
            """, w.M1);
        var expected = await w.Db.DataSource.ColumnAsync(
            "select id from public.peer_mentor_status_history where mentor_id = $1 order by changed_at desc, id desc", w.M1);
        var repo = new MentorStatusRepository(w.Db.DataSource);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await repo.GetTimelineAsync(Caller.User(w.M1User), w.M1, limit: 3, cursor: cursor);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(i => i.Id.ToString()));
            cursor = page.NextCursor;
            pages++;
        } while (cursor is not null && pages < 10);

        Assert.Equal(expected, seen);
        Assert.Equal(4, pages);
        await Assert.ThrowsAsync<ArgumentException>(() => repo.GetTimelineAsync(Caller.Service, w.M1, cursor: "not-a-cursor"));
    }

    [Fact]
    public async Task JobRunChanges_ListsExactlyThatRun()
    {
        var w = await World.CreateAsync("repo_jobrun");
        await using var _ = w.Db;
        await w.Db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() - interval '1 day' where id = any($1)", new[] { w.M1, w.M3 });
        var run = await new CertificationExpiryJob(w.Db.DataSource).RunAsync();
        var repo = new MentorStatusRepository(w.Db.DataSource);

        var changes = await repo.GetJobRunChangesAsync(Caller.Service, run.RunId);
        Assert.Equal(new[] { w.M1, w.M3 }.Order(), changes.Select(c => c.MentorId).Order());
        Assert.All(changes, c => Assert.Equal((ReasonCodes.CertificationExpired, (Guid?)null, (Guid?)run.RunId), (c.Reason!, c.ChangedBy, c.JobRunId)));
        // A coordinator of chapter B sees only M3's record of that run.
        Assert.Equal([w.M3], (await repo.GetJobRunChangesAsync(Caller.User(w.Ben), run.RunId)).Select(c => c.MentorId));
    }
}

public sealed class SchemaCheckTests
{
    [Fact]
    public async Task MatchingDatabase_Passes()
    {
        var target = await TestDatabases.MigratedAsync("check_ok");
        await using var ds = await MentorStatusDataSource.CreateVerifiedAsync(target.ConnectionString);
        Assert.NotNull(ds);
    }

    [Fact]
    public async Task ExtraEnumLabel_FailsFast_NamingIt()
    {
        var target = await TestDatabases.MigratedAsync("check_enum");
        await using (var admin = target.CreateDataSource())
            await admin.ExecuteAsync("alter type public.mentor_status add value 'retired'");
        var e = await Assert.ThrowsAsync<SchemaMismatchException>(() => MentorStatusDataSource.CreateVerifiedAsync(target.ConnectionString));
        Assert.Contains("retired", e.Message);
        Assert.Contains("pg_enum", e.Message);
    }

    [Fact]
    public async Task ReasonCodesDiffer_FailsFast_NamingBothDirections()
    {
        var target = await TestDatabases.MigratedAsync("check_codes");
        await using (var admin = target.CreateDataSource())
        {
            await admin.ExecuteAsync("insert into public.mentor_status_reason_codes (code, actor_kind, description) values ('parental_leave', 'mentor', 'x')");
            await admin.ExecuteAsync("delete from public.mentor_status_rules where reason_code = 'certification_renewed'");
            await admin.ExecuteAsync("delete from public.mentor_status_transitions where reason_code = 'certification_renewed'");
            await admin.ExecuteAsync("delete from public.mentor_status_reason_codes where code = 'certification_renewed'");
        }
        var e = await Assert.ThrowsAsync<SchemaMismatchException>(() => MentorStatusDataSource.CreateVerifiedAsync(target.ConnectionString));
        Assert.Contains("parental_leave", e.Message);
        Assert.Contains("certification_renewed", e.Message);
    }

    [Fact]
    public async Task UnmigratedDatabase_SaysApplyMigrations()
    {
        var target = await TestDatabases.PlatformAsync("check_empty");
        var e = await Assert.ThrowsAsync<SchemaMismatchException>(() => MentorStatusDataSource.CreateVerifiedAsync(target.ConnectionString));
        Assert.Contains("db up", e.Message);
    }
}
