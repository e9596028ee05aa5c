using System.Diagnostics;
using System.Text.Json;
using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;

namespace MentorStatus.Tests.Notifications;

/// <summary>The webhook channel against a real Kestrel receiver that verifies the Standard Webhooks signature.</summary>
public sealed class WebhookChannelTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task Answers500Then200_And410_OneDeliveryPerKey_RetriesCounted_GiveUpRecorded()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("webhook_500_200_410");
        await using var receiver = new TestWebhookReceiver();
        var retried = await s.Db.DataSource.ScalarAsync<Guid>("select id from public.coordinator_notifications where coordinator_user_id = $1", s.Ca);
        var refused = await s.Db.DataSource.ScalarAsync<Guid>("select id from public.coordinator_notifications where coordinator_user_id = $1", s.Cb);
        receiver.Answer = (key, nth) => key == retried.ToString() ? (nth == 1 ? 500 : 200) : key == refused.ToString() ? 410 : 200;
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var dispatcher = EmailChannelTests.Dispatcher(s.Db, [new WebhookChannel(receiver.Options(), Http)], time);

        Assert.Equal(new DispatchResult(2, 1, 1), await dispatcher.DispatchAsync()); // cab + noemail sent, ca retrying, cb gone
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new DispatchResult(1, 0, 0), await dispatcher.DispatchAsync());
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(new DispatchResult(0, 0, 0), await dispatcher.DispatchAsync());

        Assert.Equal(0, receiver.BadSignatures);
        Assert.Equal(2, receiver.RequestsPerKey[retried.ToString()]);
        Assert.Equal(1, receiver.RequestsPerKey[refused.ToString()]);
        Assert.Equal(4, receiver.RequestsPerKey.Count);
        Assert.Equal(3, receiver.AcceptedBodies.Count); // one delivery per key
        Assert.Equal(["sent|2|webhook delivered 2", "failed|1|webhook failed 1"], await s.Db.DataSource.ColumnAsync("""
            select n.status || '|' || n.attempts || '|' || d.channel || ' ' || d.outcome || ' ' || d.attempts
            from public.coordinator_notifications n join public.coordinator_notification_deliveries d on d.notification_id = n.id
            where n.id in ($1, $2) order by n.status desc
            """, retried, refused));
        Assert.Equal("webhook: webhook 410 Gone", await s.Db.DataSource.ScalarAsync<string>("select last_error from public.coordinator_notifications where id = $1", refused));

        // The body: the event, the coordinator, the mentors with the reason's description, never health data.
        using var body = JsonDocument.Parse(receiver.AcceptedBodies[retried.ToString()]);
        Assert.Equal("mentor_status.mentors_paused", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(retried, body.RootElement.GetProperty("id").GetGuid());
        Assert.Equal(s.Ca, body.RootElement.GetProperty("coordinator_user_id").GetGuid());
        var mentors = body.RootElement.GetProperty("mentors").EnumerateArray().ToList();
        Assert.Equal(["Mentor One", "Mentor Two"], mentors.Select(m => m.GetProperty("display_name").GetString()));
        Assert.All(mentors, m => Assert.Equal("certification_expired", m.GetProperty("reason").GetString()));
        Assert.All(mentors, m => Assert.Equal("Sertifiseringen er utløpt.", m.GetProperty("reason_description").GetString()));
    }

    [Fact]
    public async Task AWrongSecret_IsRefusedByTheReceiver_AndGivenUp()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("webhook_bad_secret");
        await using var receiver = new TestWebhookReceiver();
        var options = receiver.Options();
        options.Secret = "not-the-shared-secret-at-all";
        var result = await EmailChannelTests.Dispatcher(s.Db, [new WebhookChannel(options, Http)], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1))).DispatchAsync();

        Assert.Equal(new DispatchResult(0, 0, 4), result);
        Assert.Equal(4, receiver.BadSignatures);
        Assert.Empty(receiver.AcceptedBodies);
    }

    [Fact]
    public async Task AReceiverSlowerThanTheTimeout_IsRetried_NotSent()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("webhook_timeout");
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where coordinator_user_id <> $1", s.Ca);
        await using var receiver = new TestWebhookReceiver { OnRequest = (_, nth) => nth == 1 ? Task.Delay(TimeSpan.FromSeconds(4)) : Task.CompletedTask };
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var dispatcher = EmailChannelTests.Dispatcher(s.Db, [new WebhookChannel(receiver.Options(timeoutSeconds: 1), Http)], time);

        Assert.Equal(new DispatchResult(0, 1, 0), await dispatcher.DispatchAsync());
        Assert.Equal("webhook: webhook: no answer within 1 s", await s.Db.DataSource.ScalarAsync<string>("select last_error from public.coordinator_notifications"));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new DispatchResult(1, 0, 0), await dispatcher.DispatchAsync());
    }

    [Fact]
    public async Task EmailAndWebhook_WebhookFailsFirst_TheRetrySendsNoSecondEmail()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("webhook_email_no_duplicate");
        await using var smtp = new TestSmtpServer();
        await using var receiver = new TestWebhookReceiver { Answer = (_, nth) => nth == 1 ? 503 : 200 };
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var dispatcher = EmailChannelTests.Dispatcher(s.Db,
            [new InboxChannel(s.Db.DataSource), new SmtpEmailChannel(EmailChannelTests.Smtp(smtp.Port)), new WebhookChannel(receiver.Options(), Http)], time);

        Assert.Equal(new DispatchResult(0, 4, 0), await dispatcher.DispatchAsync());
        Assert.Equal(3, smtp.Received.Count);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new DispatchResult(4, 0, 0), await dispatcher.DispatchAsync());

        Assert.Equal(3, smtp.Received.Count); // no duplicate email after the retry
        Assert.Equal(3, smtp.Received.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(4L, await s.Db.CountAsync("select count(*) from public.coordinator_inbox"));
        Assert.All(receiver.RequestsPerKey.Values, n => Assert.Equal(2, n));
        Assert.Equal(4L, await s.Db.CountAsync("""
            select count(*) from public.coordinator_notification_deliveries
            where channel = 'inbox' and outcome = 'delivered' and attempts = 1
            """));
    }

    /// <summary>
    /// The real command line, killed while its webhook request is in flight (after the receiver took the body,
    /// before the dispatcher could record it). Once the claim expires, the next dispatch delivers that
    /// notification again under the same key, and the receiver can tell: one key came twice.
    /// </summary>
    [Fact]
    public async Task ADispatcherKilledBetweenSendAndMark_RedeliversWithTheSameKey()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("webhook_killed");
        await using var receiver = new TestWebhookReceiver();
        var dbUrl = s.Db.Url;
        var killed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Process? cli = null;
        receiver.OnRequest = (key, _) =>
        {
            if (killed.Task.IsCompleted) return Task.CompletedTask;
            cli!.Kill(entireProcessTree: true); // the receiver has the request; the dispatcher will never hear back
            killed.TrySetResult(key);
            return Task.CompletedTask;
        };

        var info = CliRunner.StartInfo(TestDatabases.Project.Root,
        [
            "notifications", "dispatch", "--channel", "webhook", "--concurrency", "1", "--db-url", dbUrl,
            "--set", $"MentorStatus:Notifications:Webhook:Url={receiver.Url}",
            "--set", $"MentorStatus:Notifications:Webhook:Secret={receiver.Secret}",
            "--set", "MentorStatus:Notifications:Webhook:AllowInsecureHttp=true",
            "--set", "MentorStatus:Notifications:Dispatcher:ClaimDuration=00:00:02",
        ]);
        cli = Process.Start(info)!;
        var stderr = cli.StandardError.ReadToEndAsync();
        _ = cli.StandardOutput.ReadToEndAsync();
        var first = await Task.WhenAny(killed.Task, cli.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(first == killed.Task, $"the command line ended before it sent anything: {await stderr}");
        var firstKey = await killed.Task;
        await cli.WaitForExitAsync();
        Assert.Equal(["sending"], await s.Db.DataSource.ColumnAsync("select status from public.coordinator_notifications where id = $1::uuid", firstKey));

        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the dead dispatcher's claim expires
        var result = await EmailChannelTests.Dispatcher(s.Db, [new WebhookChannel(receiver.Options(), Http)], TimeProvider.System).DispatchAsync();

        Assert.Equal(new DispatchResult(4, 0, 0), result);
        Assert.Equal(2, receiver.RequestsPerKey[firstKey]); // the same key twice: the receiver drops the second
        Assert.Equal(4, receiver.RequestsPerKey.Count);
        Assert.All(receiver.RequestsPerKey.Where(k => k.Key != firstKey), k => Assert.Equal(1, k.Value));
        Assert.Equal(4L, await s.Db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent'"));
        Assert.Equal(2L, await s.Db.CountAsync("select attempts::bigint from public.coordinator_notifications where id = $1::uuid", firstKey));
        cli.Dispose();
    }

    [Fact]
    public async Task ARequestSignedOutsideTheTolerance_IsRefusedByVerify_SoACapturedOneCannotBeReplayed()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("webhook_replay");
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where coordinator_user_id <> $1", s.Ca);
        await using var receiver = new TestWebhookReceiver();
        var now = DateTimeOffset.UtcNow;
        // The same notification signed at different moments, as a request captured then and sent again now would be.
        foreach (var (signedAt, accepted) in new[]
                 {
                     (now.AddMinutes(-6), false), (now.AddDays(-30), false), (now.AddMinutes(6), false), (now.AddMinutes(-4), true),
                 })
        {
            await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notification_deliveries; update public.coordinator_notifications set status = 'pending', sent_at = null, attempts = 0, next_attempt_at = now()");
            var channel = new WebhookChannel(receiver.Options(), Http, new ManualTime(signedAt));
            var before = receiver.BadSignatures;
            var result = await EmailChannelTests.Dispatcher(s.Db, [channel], new ManualTime(now.AddSeconds(1))).DispatchAsync();
            Assert.True(accepted == (result.Sent == 1), $"signed at now{(signedAt - now).TotalMinutes:+0;-0} min: {result}");
            Assert.Equal(accepted ? before : before + 1, receiver.BadSignatures);
        }

        // The tolerance is the receiver's to choose; the default is Standard Webhooks' 5 minutes, both ways.
        const string id = "msg_1", body = "{}";
        var seconds = now.AddMinutes(-6).ToUnixTimeSeconds();
        var signature = WebhookSignature.Sign(receiver.Secret, id, seconds, body);
        var at = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clock = new ManualTime(now);
        Assert.False(WebhookSignature.Verify(receiver.Secret, id, at, body, signature));
        Assert.True(WebhookSignature.Verify(receiver.Secret, id, at, body, signature, TimeSpan.FromMinutes(10), clock));
        Assert.False(WebhookSignature.Verify(receiver.Secret, id, at, body, signature, TimeSpan.FromMinutes(5), clock));
        Assert.False(WebhookSignature.Verify(receiver.Secret, id, " " + at, body, signature, TimeSpan.FromMinutes(10), clock));
    }

    [Fact]
    public void TheSecretsMinimumLength_IsCountedOnTheDecodedKey_NotOnTheWhsecPrefix()
    {
        static string? Problem(string secret) => new WebhookChannelOptions { Url = "https://example.org/hook", Secret = secret }.Problem();

        // "whsec_" + the base64 of 8 bytes is 18 characters, but only 8 bytes of key.
        Assert.Contains("shorter than 16 bytes", Problem("whsec_" + Convert.ToBase64String(new byte[8])));
        Assert.Contains("shorter than 16 bytes", Problem("whsec_" + Convert.ToBase64String(new byte[15])));
        Assert.Null(Problem("whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16))));
        Assert.Contains("shorter than 16 bytes", Problem("fifteen-chars!!"));
        Assert.Null(Problem("sixteen-chars!!!"));
        Assert.Contains("not base64", Problem("whsec_%%%%%%%%%%%%%%%%%%%%%%%%"));
        Assert.Throws<ArgumentException>(() => new WebhookChannel(new WebhookChannelOptions { Url = "https://example.org/hook", Secret = "whsec_AAAAAAAAAAA=" }, Http));
    }
}
