using MentorStatus.DependencyInjection;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
            ["MentorStatus:Notifications:Dispatcher:MaxAttempts"] = "3",
            ["MentorStatus:Notifications:Channels:0"] = "inbox",
        });

        // the library's own data source (keyed), built with UseMentorStatus: verification passes
        var dataSource = provider.GetRequiredKeyedService<NpgsqlDataSource>(MentorStatusDataSource.ServiceKey);
        await MentorStatusDataSource.VerifyAsync(dataSource);
        Assert.Null(provider.GetService<NpgsqlDataSource>()); // nothing registered in the application's name
        // the documented key reaches the dispatcher's settings
        Assert.Equal(3, provider.GetRequiredService<IOptions<MentorStatusOptions>>().Value.Notifications.Dispatcher.MaxAttempts);

        // the bound batch size reaches the job: 3 expired mentors take two batches
        var run = await provider.GetRequiredService<CertificationExpiryJob>().RunAsync();
        Assert.Equal(3, run.MentorsPaused);
        Assert.Equal(2, run.Batches);
        Assert.Equal(2, await db.CountAsync("select batch_size::bigint from public.status_job_runs where id = $1", run.RunId));

        // the service's own system change: certification_expired only once the certification has expired
        await db.DataSource.ExecuteAsync("update public.peer_mentors set certification_expires_at = now() - interval '1 minute' where id = $1", other);
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

        await MentorStatusDataSource.VerifyAsync(provider.GetRequiredKeyedService<NpgsqlDataSource>(MentorStatusDataSource.ServiceKey));
        var ids = await provider.GetRequiredKeyedService<NpgsqlDataSource>(MentorStatusDataSource.ServiceKey).ColumnAsync("select id::text from public.peer_mentors");
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

    [Fact]
    public async Task AnAppsOwnDataSource_IsLeftAlone_AndTheLibraryKeepsItsOwn()
    {
        var target = await TestDatabases.SeededAsync("di_own_source");
        // the application registers its data source first (Npgsql's usual way), then the library
        await using var appDataSource = NpgsqlDataSource.Create(target.ConnectionString);
        await using var provider = MentorStatusHost.Build(target.ConnectionString,
            more: services => services.AddSingleton(appDataSource));

        Assert.Same(appDataSource, provider.GetRequiredService<NpgsqlDataSource>());
        var library = provider.GetRequiredKeyedService<NpgsqlDataSource>(MentorStatusDataSource.ServiceKey);
        Assert.NotSame(appDataSource, library);
        await MentorStatusDataSource.VerifyAsync(library); // the library's has the enum mapping, the app's need not
        var ids = await appDataSource.ColumnAsync("select id::text from public.peer_mentors");
        Assert.Equal(ids.Count, (await provider.GetRequiredService<MentorStatusRepository>()
            .GetCurrentStatusesAsync(Caller.Service, ids.Select(Guid.Parse).ToList())).Count);
    }

    [Fact]
    public async Task AKeyUnderMentorStatusThatIsNoSetting_FailsStartUp_NamingItAndWhereItBelongs()
    {
        await using var db = await LibraryDatabase.CreateAsync("di_unknown_key");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MentorStatus:ConnectionString"] = db.ConnectionString,
            ["MentorStatus:Notifications:Channels:0"] = "inbox",          // list items are not keys of their own
            ["MentorStatus:Notifications:Dispatcher:BatchSize"] = "10",    // the documented key: fine
            ["MentorStatus:Dispatcher:MaxAttempts"] = "3",                 // the old, undocumented place
            ["MentorStatus:Job:BatchSzie"] = "10",                         // a typo
        });
        builder.Services.AddMentorStatus(builder.Configuration.GetSection("MentorStatus"));
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(2, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.StartsWith("MentorStatus:Dispatcher is not a setting", StringComparison.Ordinal)
                                         && f.Contains("did you mean MentorStatus:Notifications:Dispatcher?"));
        Assert.Contains(e.Failures, f => f.StartsWith("MentorStatus:Job:BatchSzie is not a setting", StringComparison.Ordinal)
                                         && f.Contains("the keys under MentorStatus:Job are BatchSize,"));
    }

    [Fact]
    public async Task NpgsqlsLinePerStatement_IsNotLoggedAtInformation_UnlessAskedFor()
    {
        await using var db = await LibraryDatabase.CreateAsync("di_npgsql_log");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var mentor = await db.MentorAsync(org, [chapter]);

        async Task<List<CapturingLoggerProvider.Entry>> CommandLinesAsync(bool logStatements)
        {
            var logs = new CapturingLoggerProvider();
            await using var provider = MentorStatusHost.Build(db.ConnectionString, logs,
                new Dictionary<string, string?> { ["MentorStatus:LogStatements"] = logStatements ? "true" : "false" });
            await provider.GetRequiredService<MentorStatusRepository>().GetCurrentStatusesAsync(Caller.Service, [mentor]);
            return logs.Entries.Where(e => e.Category.StartsWith("Npgsql.Command", StringComparison.Ordinal) && e.Level >= LogLevel.Information).ToList();
        }

        Assert.Empty(await CommandLinesAsync(logStatements: false));
        Assert.NotEmpty(await CommandLinesAsync(logStatements: true)); // Npgsql logs each statement at Information
    }

    [Fact]
    public void MentorState_IsItsDatabaseLabelInJson()
    {
        Assert.Equal("\"paused\"", System.Text.Json.JsonSerializer.Serialize(MentorState.Paused));
        Assert.Equal("{\"S\":\"inactive\"}", System.Text.Json.JsonSerializer.Serialize(new { S = MentorState.Inactive }));
        Assert.Equal(MentorState.Active, System.Text.Json.JsonSerializer.Deserialize<MentorState>("\"active\""));
    }
}
