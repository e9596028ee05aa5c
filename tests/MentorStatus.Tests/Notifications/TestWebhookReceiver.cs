using System.Collections.Concurrent;
using MentorStatus.Notifications;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MentorStatus.Tests.Notifications;

/// <summary>
/// A real HTTP receiver (Kestrel on a free loopback port) as a Supabase Edge Function would be: verifies
/// the Standard Webhooks signature (401 when wrong), counts every request per idempotency key, keeps the
/// bodies of the keys it accepted (once per key, as a receiver that dedupes would), and answers with the
/// status <see cref="Answer"/> picks for (key, how many times this key came).
/// </summary>
public sealed class TestWebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string Url { get; }
    public string Secret { get; }
    public ConcurrentDictionary<string, int> RequestsPerKey { get; } = new();
    public ConcurrentDictionary<string, string> AcceptedBodies { get; } = new();
    public ConcurrentQueue<string> Rejected { get; } = new();
    public int BadSignatures => _badSignatures;
    private int _badSignatures;

    /// <summary>(idempotency key, nth request with it) → HTTP status. Default: 200.</summary>
    public Func<string, int, int> Answer { get; set; } = (_, _) => 200;
    /// <summary>Runs before answering (e.g. to kill the sender mid-request).</summary>
    public Func<string, int, Task>? OnRequest { get; set; }

    public TestWebhookReceiver(string secret = "whsec_" + "dGhpcyBpcyBhIHRlc3Qgc2VjcmV0IGtleSAxMjM0NTY=")
    {
        Secret = secret;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/hook", (Delegate)HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.TrimEnd('/') + "/hook";
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var id = context.Request.Headers["webhook-id"].ToString();
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (!WebhookSignature.Verify(Secret, id, context.Request.Headers["webhook-timestamp"].ToString(), body,
                context.Request.Headers["webhook-signature"].ToString()) || key != id)
        {
            Interlocked.Increment(ref _badSignatures);
            return Results.Unauthorized();
        }
        var nth = RequestsPerKey.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (OnRequest is not null) await OnRequest(key, nth);
        var status = Answer(key, nth);
        if (status is >= 200 and < 300) AcceptedBodies.TryAdd(key, body);
        else Rejected.Enqueue($"{key} {status}");
        return Results.StatusCode(status);
    }

    public WebhookChannelOptions Options(int timeoutSeconds = 5) =>
        new() { Url = Url, Secret = Secret, TimeoutSeconds = timeoutSeconds, AllowInsecureHttp = true };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
