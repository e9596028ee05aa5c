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
/// The dispatcher delivers N due notifications over the webhook channel to a local Kestrel receiver (claim a
/// batch in one statement, read its content in one round trip, sign, POST, record the batch's outcomes in one
/// statement) vs the baseline: the same signed POSTs from a plain sequential loop, no database, to the same
/// receiver. Per run, alternating: the dispatcher at its default concurrency, the dispatcher delivering one at
/// a time (MaxConcurrency 1: the like-for-like comparison with the sequential loop), and the loop.
/// Also: round trips to PostgreSQL per notification, counted on the wire (Sync and Query messages through a
/// counting proxy, one untimed dispatch), and the managed heap after a full GC before and after each dispatch.
/// </summary>
public static class WebhookDispatchCase
{
    public const string Id = "webhook_dispatch"; // snake_case like every other case id
    private const string Secret = "whsec_YmVuY2ggd2ViaG9vayBzZWNyZXQgMDEyMzQ1Njc4OQ==";
    private const double TargetRatio = 0.5;
    private const double HeapLimitMiB = 5;

    private static int Notifications(BenchSize size) => size.Name switch { "ci" => 500, "small" => 2_000, _ => 10_000 };

    public static async Task<CaseResult> RunAsync(BenchContext ctx, CancellationToken ct)
    {
        var n = Notifications(ctx.Size);
        var defaults = new NotificationDispatcherOptions();
        var concurrency = defaults.MaxConcurrency;
        var result = new CaseResult(Id, $"Webhook dispatch: {n:N0} due notifications to a local Kestrel receiver, batches of {defaults.BatchSize}, concurrency {concurrency} and 1");
        await using var receiver = await Receiver.StartAsync();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var options = new WebhookChannelOptions { Url = receiver.Url, Secret = Secret, AllowInsecureHttp = true };
        var runId = await SetUpAsync(ctx, n, ct);

        var dispatchRates = new List<double>();
        var sequentialRates = new List<double>();
        var loopRates = new List<double>();
        var heapGrowth = new List<double>();
        var allocatedPerNotification = new List<double>();

        async Task<double> DispatchAsync(int maxConcurrency, bool measureHeap)
        {
            await ResetAsync(ctx, runId, ct);
            receiver.Clear();
            var dispatcher = new NotificationDispatcher(ctx.Data, [new WebhookChannel(options, http)],
                options: new NotificationDispatcherOptions { MaxConcurrency = maxConcurrency });
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var dispatched = await dispatcher.DispatchAsync(ct: ct);
            clock.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            if (dispatched.Sent != n || receiver.Keys != n)
                throw new InvalidOperationException($"dispatch sent {dispatched.Sent} and the receiver saw {receiver.Keys} keys, expected {n}");
            if (measureHeap)
            {
                heapGrowth.Add((heapAfter - heapBefore) / 1024.0 / 1024.0);
                allocatedPerNotification.Add(allocated / 1024.0 / n);
            }
            return n / clock.Elapsed.TotalSeconds;
        }

        async Task<double> LoopAsync(List<NotificationMessage> messages)
        {
            receiver.Clear();
            var clock = Stopwatch.StartNew();
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
            return n / clock.Elapsed.TotalSeconds;
        }

        // The loop's messages are read once, outside its timing (the loop has no database).
        var messages = await ReadMessagesAsync(ctx, runId, ct);
        // Warm-up, untimed: JIT, the connection pool, HTTP keep-alive connections.
        await DispatchAsync(concurrency, measureHeap: false);
        await LoopAsync(messages);
        for (var run = 1; run <= ctx.Size.Runs; run++)
        {
            ctx.Say($"webhook dispatch, run {run}/{ctx.Size.Runs}: {n:N0} notifications through the dispatcher (concurrency {concurrency}), the plain loop, the dispatcher (concurrency 1)…");
            dispatchRates.Add(await DispatchAsync(concurrency, measureHeap: true));
            loopRates.Add(await LoopAsync(messages));
            sequentialRates.Add(await DispatchAsync(1, measureHeap: false));
        }
        var roundTrips = await CountRoundTripsAsync(ctx, runId, options, http, n, ct);

        result.Figures.Add(Figures.Compare(Id, $"deliveries per second, dispatcher (webhook, concurrency {concurrency})", "/s", dispatchRates,
            "plain sequential POST loop, no database", loopRates, $"≥ {TargetRatio}× the plain loop",
            (_, _, r) => r >= TargetRatio, (v, b, r) => $"{(r >= TargetRatio ? "met" : "missed")}: {r:F2}× ({Figures.F(v)}/s vs {Figures.F(b ?? double.NaN)}/s for the plain loop)"));
        result.Figures.Add(Figures.Compare(Id, "deliveries per second, dispatcher delivering one at a time (concurrency 1)", "/s", sequentialRates,
            "plain sequential POST loop, no database", loopRates, $"≥ {TargetRatio}× the plain loop (like for like)",
            (_, _, r) => r >= TargetRatio, (v, b, r) => $"{(r >= TargetRatio ? "met" : "missed")}: {r:F2}× ({Figures.F(v)}/s vs {Figures.F(b ?? double.NaN)}/s for the plain loop)"));
        result.Figures.Add(Figures.Compare(Id, "round trips to PostgreSQL per notification, dispatcher", "round trips", [roundTrips.PerNotification], null, null,
            $"batched: ≤ 4 per batch of {defaults.BatchSize}", (v, _, _) => v <= 4.0 / defaults.BatchSize,
            (v, _, _) => $"{v:F3} per notification ({roundTrips.Total:N0} for {n:N0}, the connections' start-up included)"));
        result.Figures.Add(Figures.Compare(Id, "managed heap growth over one dispatch (after a full GC)", "MiB", heapGrowth, null, null,
            $"≤ {HeapLimitMiB} MiB", (v, _, _) => heapGrowth.Max() <= HeapLimitMiB, (v, _, _) => $"{Figures.F(v)} MiB after {n:N0} notifications (largest run {Figures.F(heapGrowth.Max())} MiB)"));
        result.Figures.Add(Figures.Compare(Id, "managed bytes allocated per notification, dispatcher", "KiB", allocatedPerNotification, null, null,
            "— (diagnostic)", (_, _, _) => null, (v, _, _) => $"{Figures.F(v)} KiB per notification (all of it garbage by the end: see the heap growth)"));
        result.Notes.Add($"Batch size {defaults.BatchSize}; concurrency {concurrency} (the default) and 1. Per batch the dispatcher claims (one statement, " +
                         "a synchronous commit), reads the content and earlier outcomes (one round trip), POSTs, and records every outcome " +
                         "(one statement, asynchronous commit); the loop only POSTs. Kestrel, PostgreSQL and the dispatcher share the machine's cores. " +
                         "Order per run: dispatcher, loop, dispatcher at concurrency 1; one untimed warm-up of each before the first run.");
        return result;
    }

    /// <summary>Round trips of one dispatch of every notification, through a counting proxy in front of the bench cluster (not timed).</summary>
    private static async Task<(long Total, double PerNotification)> CountRoundTripsAsync(BenchContext ctx, Guid runId, WebhookChannelOptions options,
        HttpClient http, int n, CancellationToken ct)
    {
        await ResetAsync(ctx, runId, ct);
        await using var counter = new MentorStatus.TestSupport.WireRoundTripCounter("127.0.0.1", ctx.Cluster.Cluster.Port);
        var proxied = new Npgsql.NpgsqlConnectionStringBuilder(StatusChangeCase.PoolConnectionString(ctx)) { Port = counter.Port, SslMode = Npgsql.SslMode.Disable };
        await using var source = MentorStatusDataSource.Create(proxied.ConnectionString);
        var before = counter.RoundTrips;
        var dispatched = await new NotificationDispatcher(source, [new WebhookChannel(options, http)]).DispatchAsync(ct: ct);
        var total = counter.RoundTrips - before;
        if (dispatched.Sent != n) throw new InvalidOperationException($"the counted dispatch sent {dispatched.Sent} of {n}");
        return (total, (double)total / n);
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
