using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using MentorStatus.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// Issue 11: the dispatcher delivers N due notifications over the webhook channel to a local Kestrel
/// receiver (claim in batches, read content, sign, POST, record per notification; bounded concurrency,
/// default 8) vs the baseline: the same signed POSTs from a plain sequential loop, no database.
/// Memory: managed heap after a forced GC, before and after the dispatch (flat = the outbox is streamed).
/// </summary>
public static class WebhookDispatchCase
{
    public const string Id = "webhook_dispatch"; // snake_case like every other case id
    private const string Secret = "whsec_YmVuY2ggd2ViaG9vayBzZWNyZXQgMDEyMzQ1Njc4OQ==";

    private static int Notifications(BenchSize size) => size.Name switch { "ci" => 500, "small" => 2_000, _ => 10_000 };

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var n = Notifications(ctx.Size);
        var concurrency = new NotificationDispatcherOptions().MaxConcurrency;
        var result = new CaseResult(Id, $"Webhook dispatch: {n:N0} due notifications to a local Kestrel receiver, concurrency {concurrency}");
        await using var receiver = await Receiver.StartAsync();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var options = new WebhookChannelOptions { Url = receiver.Url, Secret = Secret, AllowInsecureHttp = true };
        var runId = await SetUpAsync(ctx, n, ct);

        var dispatchRates = new List<double>();
        var loopRates = new List<double>();
        var heapGrowth = new List<double>();
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            ctx.Say($"webhook dispatch, run {run}/{ctx.Size.Runs}: {n:N0} notifications through the dispatcher, then the plain loop…");
            await ResetAsync(ctx, runId, ct);
            receiver.Clear();
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var clock = Stopwatch.StartNew();
            var dispatched = await new NotificationDispatcher(ctx.Data, [new WebhookChannel(options, http)]).DispatchAsync(ct: ct);
            clock.Stop();
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            if (dispatched.Sent != n || receiver.Keys != n)
                throw new InvalidOperationException($"dispatch sent {dispatched.Sent} and the receiver saw {receiver.Keys} keys, expected {n}");
            dispatchRates.Add(n / clock.Elapsed.TotalSeconds);
            heapGrowth.Add((heapAfter - heapBefore) / 1024.0 / 1024.0);

            // Baseline: the same signed bodies, POSTed one after the other.
            var messages = await ReadMessagesAsync(ctx, runId, ct);
            receiver.Clear();
            clock.Restart();
            foreach (var message in messages)
            {
                var body = WebhookChannel.Body(message);
                var id = message.IdempotencyKey.ToString();
                var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("webhook-id", id);
                request.Headers.Add("webhook-timestamp", ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add("webhook-signature", WebhookSignature.Sign(Secret, id, ts, body));
                using var response = await http.SendAsync(request, ct);
                response.EnsureSuccessStatusCode();
            }
            clock.Stop();
            loopRates.Add(n / clock.Elapsed.TotalSeconds);
        }

        result.Figures.Add(Figures.Compare(Id, "deliveries per second (dispatcher, webhook)", "/s", dispatchRates,
            "plain sequential POST loop, no database", loopRates, "≥ 1 000 /s",
            (v, _, _) => v >= 1000, (v, b, _) => $"{(v >= 1000 ? "met" : "missed")}: {Figures.F(v)}/s vs {Figures.F(b ?? double.NaN)}/s for the plain loop"));
        result.Figures.Add(Figures.Compare(Id, "managed heap growth over one dispatch", "MiB", heapGrowth, null, null,
            "flat (streamed in batches)", (v, _, _) => v < 32, (v, _, _) => $"{Figures.F(v)} MiB after {n:N0} notifications"));
        result.Notes.Add($"Batch size {new NotificationDispatcherOptions().BatchSize}, concurrency {concurrency}. Per notification the dispatcher " +
                         "also claims, reads content and records the outcome in PostgreSQL; the loop only POSTs. Kestrel, the database and the " +
                         "dispatcher share the machine's cores.");
        return result;
    }

    /// <summary>N coordinators, one finished job run, one notification each (about the first mentor).</summary>
    private static async Task<Guid> SetUpAsync(BenchContext ctx, int n, CancellationToken ct)
    {
        var runId = Guid.NewGuid();
        await ctx.ExecAsync($"""
            insert into auth.users (id, email)
            select ('00000000-0000-4000-b011-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench-webhook-' || i || '@example.org'
            from generate_series(1, {n}) i
            on conflict do nothing;
            insert into public.status_job_runs (id, job_name, as_of, batch_size, outcome, finished_at)
            values ('{runId}', 'certification_expiry', now(), 500, 'succeeded', now());
            insert into public.coordinator_notifications (job_run_id, coordinator_user_id, mentor_ids)
            select '{runId}', ('00000000-0000-4000-b011-' || lpad(to_hex(i), 12, '0'))::uuid,
                   array(select id from public.peer_mentors order by id limit 1)
            from generate_series(1, {n}) i;
            """, ct);
        return runId;
    }

    private static Task ResetAsync(BenchContext ctx, Guid runId, CancellationToken ct) =>
        ctx.ExecAsync($"""
            delete from public.coordinator_notification_deliveries d using public.coordinator_notifications n
            where d.notification_id = n.id and n.job_run_id = '{runId}';
            update public.coordinator_notifications set status = 'pending', attempts = 0, sent_at = null, last_error = null, next_attempt_at = now()
            where job_run_id = '{runId}';
            """, ct);

    private static async Task<List<NotificationMessage>> ReadMessagesAsync(BenchContext ctx, Guid runId, CancellationToken ct)
    {
        var notifications = await new CoordinatorNotificationService(ctx.Data).GetForRunAsync(runId, ct);
        return (await NotificationContentReader.ReadAsync(ctx.Data, notifications.ToList(), ct)).Values.ToList();
    }

    /// <summary>A Kestrel receiver that answers 200 and counts distinct idempotency keys.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, byte> _keys = new();
        public string Url { get; private set; } = "";
        public int Keys => _keys.Count;

        private Receiver(WebApplication app) => _app = app;

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/hook", async (HttpContext context) =>
            {
                using var reader = new StreamReader(context.Request.Body);
                await reader.ReadToEndAsync();
                receiver._keys.TryAdd(context.Request.Headers["webhook-id"].ToString(), 0);
                context.Response.StatusCode = 200;
            });
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/hook";
            return receiver;
        }

        public void Clear() => _keys.Clear();

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
