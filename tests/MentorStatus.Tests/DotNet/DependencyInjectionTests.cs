using MentorStatus.DependencyInjection;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MentorStatus.Tests.DotNet;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddMentorStatusFromConfiguration_ResolvesEveryService_AndTheyWorkOnTheDatabase()
    {
        await using var db = await LibraryDatabase.CreateAsync("di_config");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        await db.CoordinatorAsync([chapter]);
        var expired = new[] { await db.MentorAsync(org, [chapter], -1), await db.MentorAsync(org, [chapter], -2), await db.MentorAsync(org, [chapter], -3) };
        var other = await db.MentorAsync(org, [chapter], 30);

        await using var provider = MentorStatusHost.Build(db.ConnectionString, settings: new Dictionary<string, string?>
        {
            ["MentorStatus:Job:BatchSize"] = "2",
            ["MentorStatus:Dispatcher:MaxAttempts"] = "3",
            ["MentorStatus:Notifications:Channels:0"] = "inbox",
        });

        // the data source is Npgsql's registration, built with UseMentorStatus: verification passes
        var dataSource = provider.GetRequiredService<NpgsqlDataSource>();
        await MentorStatusDataSource.VerifyAsync(dataSource);
        Assert.Same(dataSource, provider.GetRequiredService<System.Data.Common.DbDataSource>());
        Assert.Equal(3, provider.GetRequiredService<IOptions<MentorStatusOptions>>().Value.Dispatcher.MaxAttempts);

        // the bound batch size reaches the job: 3 expired mentors take two batches
        var run = await provider.GetRequiredService<CertificationExpiryJob>().RunAsync();
        Assert.Equal(3, run.MentorsPaused);
        Assert.Equal(2, run.Batches);
        Assert.Equal(2, await db.CountAsync("select batch_size::bigint from public.status_job_runs where id = $1", run.RunId));

        var change = await provider.GetRequiredService<MentorStatusRepository>()
            .ChangeStatusAsync(Caller.Service, other, MentorState.Paused, ReasonCodes.CertificationExpired);
        Assert.Equal(MentorState.Paused, change.NewStatus);

        var notifications = await provider.GetRequiredService<CoordinatorNotificationService>().GetForRunAsync(run.RunId);
        Assert.Single(notifications);
        var dispatched = await provider.GetRequiredService<NotificationDispatcher>().DispatchAsync();
        Assert.Equal(1, dispatched.Sent);
        Assert.Equal(1, await db.CountAsync("select count(*) from public.coordinator_inbox")); // delivered by the configured in-app inbox
        Assert.All(expired, id => Assert.Equal("paused", db.StatusAsync(id).GetAwaiter().GetResult()));
    }

    [Fact]
    public async Task WithoutAChannel_TheDispatcherCannotBeResolved_AndTheMessageSaysHowToConfigureOne()
    {
        await using var db = await LibraryDatabase.CreateAsync("di_nochannel");
        await using var provider = MentorStatusHost.Build(db.ConnectionString);
        // no silent success: nothing would reach a coordinator, so there is no dispatcher to mark anything sent
        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<NotificationDispatcher>());
        Assert.Contains("no notification channel", error.Message);
        Assert.Contains("inbox, email, webhook", error.Message);
    }

    [Fact]
    public async Task ChannelsAsOneCommaSeparatedValue_AsAnEnvironmentVariableGivesThem_AreReadLikeTheCli()
    {
        await using var db = await LibraryDatabase.CreateAsync("di_channels_csv");
        // MENTORSTATUS__NOTIFICATIONS__CHANNELS=Inbox,console arrives as one scalar value, not an array
        await using var provider = MentorStatusHost.Build(db.ConnectionString,
            settings: new Dictionary<string, string?> { ["MentorStatus:Notifications:Channels"] = "Inbox, console" });
        Assert.Equal(["inbox", "console"], provider.GetRequiredService<IOptions<MentorStatusOptions>>().Value.Notifications.Channels);
        Assert.NotNull(provider.GetRequiredService<NotificationDispatcher>()); // without the shared reading: "no notification channel"
    }

    [Fact]
    public async Task AnEmailChannelWithoutAHost_FailsValidation_NamingTheKey()
    {
        await using var db = await LibraryDatabase.CreateAsync("di_badchannel");
        var error = Assert.Throws<OptionsValidationException>(() => MentorStatusHost.Build(db.ConnectionString,
            settings: new Dictionary<string, string?> { ["MentorStatus:Notifications:Channels:0"] = "email" })
            .GetRequiredService<IOptions<MentorStatusOptions>>().Value);
        Assert.Contains("MentorStatus:Notifications:Smtp:Host", error.Message);
    }

    [Fact]
    public async Task AddMentorStatusInCode_AcceptsAPostgresUrl()
    {
        var target = await TestDatabases.SeededAsync("di_url");
        var services = new ServiceCollection();
        services.AddMentorStatus(o => o.ConnectionString = target.Url);
        await using var provider = services.BuildServiceProvider();

        await MentorStatusDataSource.VerifyAsync(provider.GetRequiredService<NpgsqlDataSource>());
        var ids = await provider.GetRequiredService<NpgsqlDataSource>().ColumnAsync("select id::text from public.peer_mentors");
        var statuses = await provider.GetRequiredService<MentorStatusRepository>().GetCurrentStatusesAsync(Caller.Service, ids.Select(Guid.Parse).ToList());
        Assert.Equal(ids.Count, statuses.Count);
    }

    [Fact]
    public async Task BadOptions_StopTheHostAtStart_NamingEachKey()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MentorStatus:Job:BatchSize"] = "0",
            ["MentorStatus:Health:OutboxStuckAfter"] = "-00:05:00",
        });
        builder.Services.AddMentorStatus(builder.Configuration.GetSection("MentorStatus"));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(e.Failures, f => f.Contains("MentorStatus:ConnectionString is empty") && f.Contains("MentorStatus__ConnectionString"));
        Assert.Contains(e.Failures, f => f.Contains("MentorStatus:Job:BatchSize is 0"));
        Assert.Contains(e.Failures, f => f.Contains("MentorStatus:Health:OutboxStuckAfter"));
    }

    [Fact]
    public void CallingAddMentorStatusTwice_RegistersTheServicesOnce()
    {
        var services = new ServiceCollection();
        services.AddMentorStatus(o => o.ConnectionString = "Host=127.0.0.1");
        services.AddMentorStatus(o => o.Job = o.Job with { BatchSize = 9 });
        Assert.Single(services, d => d.ServiceType == typeof(MentorStatusRepository));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<MentorStatusOptions>>().Value;
        Assert.Equal("Host=127.0.0.1", options.ConnectionString);
        Assert.Equal(9, options.Job.BatchSize);
    }
}
