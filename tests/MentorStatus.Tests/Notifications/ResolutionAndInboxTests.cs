using MentorStatus.Database.Migrations;
using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Npgsql;

namespace MentorStatus.Tests.Notifications;

/// <summary>Who is told, end to end: job run, dispatcher, in-app inbox rows (one per coordinator and run).</summary>
public sealed class ResolutionAndInboxTests
{
    private static async Task<List<string>> InboxAsync(LibraryDatabase db) =>
        await db.DataSource.ColumnAsync("""
            select i.user_id::text || ' ' || array_to_string(i.mentor_ids, ',') || ' fallback:' || array_to_string(i.fallback_mentor_ids, ',')
            from public.coordinator_inbox i order by 1
            """);

    private static async Task<DispatchResult> RunAndDispatchAsync(LibraryDatabase db)
    {
        await new CertificationExpiryJob(db.DataSource).RunAsync();
        return await new NotificationDispatcher(db.DataSource, [new InboxChannel(db.DataSource)], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1)))
            .DispatchAsync();
    }

    private static string Row(Guid user, Guid[] mentors, Guid[]? fallback = null) =>
        $"{user} {string.Join(",", mentors.Order())} fallback:{string.Join(",", (fallback ?? []).Order())}";

    [Fact]
    public async Task SingleChapter_EveryActiveCoordinatorOfIt_ButNotTheRevoked()
    {
        await using var db = await LibraryDatabase.CreateAsync("resolve_single");
        var org = await db.OrganisationAsync();
        var a = await db.ChapterAsync(org);
        var c1 = await db.CoordinatorAsync([a]);
        var c2 = await db.CoordinatorAsync([a]);
        await db.CoordinatorAsync([a], revoked: true);
        var m = await db.MentorAsync(org, [a], -1);

        Assert.Equal(new DispatchResult(2, 0, 0), await RunAndDispatchAsync(db));
        Assert.Equal(new[] { Row(c1, [m]), Row(c2, [m]) }.Order(), await InboxAsync(db));
    }

    [Fact]
    public async Task MultiChapterMentor_TheCoordinatorsOfEachChapter_AndOneRowForTheCoordinatorOfBoth()
    {
        await using var db = await LibraryDatabase.CreateAsync("resolve_multi");
        var org = await db.OrganisationAsync();
        var a = await db.ChapterAsync(org);
        var b = await db.ChapterAsync(org);
        var ca = await db.CoordinatorAsync([a]);
        var cb = await db.CoordinatorAsync([b]);
        var both = await db.CoordinatorAsync([a, b]);
        var m = await db.MentorAsync(org, [a, b], -1);
        var onlyA = await db.MentorAsync(org, [a], -1);

        Assert.Equal(new DispatchResult(3, 0, 0), await RunAndDispatchAsync(db));
        Assert.Equal(new[] { Row(ca, [m, onlyA]), Row(cb, [m]), Row(both, [m, onlyA]) }.Order(), await InboxAsync(db));
    }

    [Fact]
    public async Task NoCoordinatorInTheMentorsChapters_TheOrganisationsCoordinators_RecordedAsFallback()
    {
        await using var db = await LibraryDatabase.CreateAsync("resolve_fallback");
        var org = await db.OrganisationAsync();
        var lonely = await db.ChapterAsync(org);
        var other = await db.ChapterAsync(org);
        await db.CoordinatorAsync([lonely], revoked: true); // the chapter's only coordinator has left
        var orgCoordinator = await db.CoordinatorAsync([other]);
        var m = await db.MentorAsync(org, [lonely], -1);
        var otherOrg = await db.OrganisationAsync("Other");
        await db.CoordinatorAsync([await db.ChapterAsync(otherOrg)]); // never told about another organisation's mentor

        Assert.Equal(new DispatchResult(1, 0, 0), await RunAndDispatchAsync(db));
        Assert.Equal([Row(orgCoordinator, [m], [m])], await InboxAsync(db));
        Assert.Equal(1L, await db.CountAsync("select count(*) from public.coordinator_notifications where fell_back_to_organisation"));
    }

    [Fact]
    public async Task RevokedCoordinator_IsNeverTold()
    {
        await using var db = await LibraryDatabase.CreateAsync("resolve_revoked");
        var org = await db.OrganisationAsync();
        var a = await db.ChapterAsync(org);
        var active = await db.CoordinatorAsync([a]);
        var revoked = await db.CoordinatorAsync([a], revoked: true);
        var m = await db.MentorAsync(org, [a], -1);

        await RunAndDispatchAsync(db);
        Assert.Equal([Row(active, [m])], await InboxAsync(db));
        Assert.Equal(0L, await db.CountAsync("select count(*) from public.coordinator_notifications where coordinator_user_id = $1", revoked));
    }

    [Fact]
    public async Task CoordinatorOfSeveralChaptersOfTheSameMentor_GetsOneRowWithTheMentorOnce()
    {
        await using var db = await LibraryDatabase.CreateAsync("resolve_several_chapters");
        var org = await db.OrganisationAsync();
        var a = await db.ChapterAsync(org);
        var b = await db.ChapterAsync(org);
        var c = await db.ChapterAsync(org);
        var coordinator = await db.CoordinatorAsync([a, b, c]);
        var m = await db.MentorAsync(org, [a, b, c], -1);

        Assert.Equal(new DispatchResult(1, 0, 0), await RunAndDispatchAsync(db));
        Assert.Equal([Row(coordinator, [m])], await InboxAsync(db));
        // and a second dispatch adds nothing
        Assert.Equal(new DispatchResult(0, 0, 0), await new NotificationDispatcher(db.DataSource, [new InboxChannel(db.DataSource)],
            new ManualTime(DateTimeOffset.UtcNow.AddDays(1))).DispatchAsync());
        Assert.Equal(1L, await db.CountAsync("select count(*) from public.coordinator_inbox"));
    }

    /// <summary>On Supabase the inbox joins the supabase_realtime publication; on plain PostgreSQL (no publication) the migration still applies.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheInboxJoinsSupabaseRealtime_OnlyWhereThePublicationExists(bool publicationExists)
    {
        var target = await TestDatabases.PlatformAsync($"inbox_publication_{publicationExists}");
        await using var data = target.CreateDataSource();
        if (publicationExists) await data.ExecuteAsync("create publication supabase_realtime");
        await new MigrationRunner(data, new MigrationSource(TestDatabases.Project)).UpAsync();

        Assert.Equal(publicationExists ? 1L : 0L, await data.ScalarAsync<long>(
            "select count(*) from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'coordinator_inbox'"));
        Assert.Equal(publicationExists ? 1L : 0L, await data.ScalarAsync<long>("select count(*) from pg_publication where pubname = 'supabase_realtime'"));
        NpgsqlConnection.ClearAllPools();
    }
}
