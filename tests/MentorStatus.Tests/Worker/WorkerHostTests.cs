using MentorStatus.DependencyInjection;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using MentorStatus.Worker;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MentorStatus.Tests.Worker;

/// <summary>The worker host as it runs in production (Kestrel on a free port), against a real database.</summary>
public sealed class WorkerHostTests
{
    private static (WebApplication App, string BaseUrl) Worker(string connectionString, int batchSize, Action<IServiceCollection>? services = null)
    {
        var url = $"http://127.0.0.1:{TestCluster.FreePort()}";
        var app = WorkerApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MentorStatus:ConnectionString"] = connectionString,
                ["MentorStatus:Job:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
                ["MentorStatus:Health:ProjectDirectory"] = TestDatabases.Project.Root,
                ["MentorStatus:Notifications:Channels:0"] = "inbox",
                ["Worker:RunOnStart"] = "true",
                ["Worker:DispatchInterval"] = "01:00:00",
                ["Urls"] = url,
            });
            services?.Invoke(builder.Services);
        });
        return (app, url);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited 60 s for {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task TwoWorkersStartingAtOnce_PauseEveryExpiredMentorExactlyOnce_AndReportHealthy()
    {
        await using var db = await LibraryDatabase.CreateAsync("worker_two");
        var org = await db.OrganisationAsync();
        var chapters = new[] { await db.ChapterAsync(org, "A"), await db.ChapterAsync(org, "B") };
        foreach (var chapter in chapters) await db.CoordinatorAsync([chapter]);
        for (var i = 0; i < 40; i++) await db.MentorAsync(org, [chapters[i % 2]], -1 - i % 5);
        for (var i = 0; i < 5; i++) await db.MentorAsync(org, [chapters[0]], 10);

        var (first, firstUrl) = Worker(db.ConnectionString, batchSize: 3);
        var (second, _) = Worker(db.ConnectionString, batchSize: 3);
        await using (first)
        await using (second)
        {
            await Task.WhenAll(first.StartAsync(), second.StartAsync());
            await WaitForAsync(async () => await db.CountAsync("select count(*) from public.status_job_runs where outcome <> 'running'") == 2,
                "both runs to finish");

            Assert.Equal(2, await db.CountAsync("select count(*) from public.status_job_runs where outcome = 'succeeded'"));
            Assert.Equal(40, await db.CountAsync("select count(*) from public.peer_mentors where status = 'paused'"));
            Assert.Equal(40, await db.CountAsync("select count(*) from public.peer_mentor_status_history where reason = 'certification_expired'"));
            Assert.Equal(0, await db.CountAsync("""
                select count(*) from (select mentor_id from public.peer_mentor_status_history
                                      where reason = 'certification_expired' group by mentor_id having count(*) > 1) twice
                """));
            Assert.Equal(40, await db.CountAsync("select sum(mentors_paused) from public.status_job_runs"));

            using var http = new HttpClient();
            var health = await http.GetAsync(firstUrl + WorkerApp.HealthPath);
            Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
            Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);

            await Task.WhenAll(first.StopAsync(), second.StopAsync());
        }
    }

    [Fact]
    public async Task Shutdown_LetsTheBatchInFlightCommit_ThenStopsTheRun()
    {
        await using var db = await LibraryDatabase.CreateAsync("worker_stop");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        await db.CoordinatorAsync([chapter]);
        for (var i = 0; i < 5; i++) await db.MentorAsync(org, [chapter], -1);

        var firstBatchDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (app, _) = Worker(db.ConnectionString, batchSize: 1, services => services.PostConfigure<MentorStatusOptions>(o => o.Job = o.Job with
        {
            // After batch 1 the run waits until the host is stopping: batch 2 is then the batch in flight.
            AfterBatch = async (progress, _) =>
            {
                if (progress.Batch != 1) return;
                firstBatchDone.TrySetResult();
                await stopping.Task;
            },
        }));
        await using (app)
        {
            app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
            await app.StartAsync();
            await firstBatchDone.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await app.StopAsync();
        }

        Assert.Equal(2, await db.CountAsync("select count(*) from public.peer_mentors where status = 'paused'"));
        Assert.Equal(3, await db.CountAsync("select count(*) from public.peer_mentors where status = 'active'"));
        Assert.Equal(1, await db.CountAsync("select count(*) from public.status_job_runs where outcome = 'failed' and error = 'cancelled' and mentors_paused = 2"));
    }
}
