using MailKit.Security;
using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using MimeKit;

namespace MentorStatus.Tests.Notifications;

/// <summary>The email channel against a real SMTP server over TCP, with the dispatcher and the outbox of a real job run.</summary>
public sealed class EmailChannelTests
{
    /// <summary>
    /// Chapters A and B of one organisation. Coordinators: ca (A), cb (B), cab (A and B), revoked (A, assignment
    /// ended), noemail (B, no address in auth.users). Expired mentors: Mentor One (A), Mentor Two (A and B),
    /// Mentor Three (B). The job has run.
    /// </summary>
    internal sealed record Scenario(LibraryDatabase Db, Guid RunId, Guid Ca, Guid Cb, Guid Cab, Guid Revoked, Guid NoEmail,
        Guid One, Guid Two, Guid Three) : IAsyncDisposable
    {
        public async Task<string> EmailOf(Guid user) => await Db.DataSource.ScalarAsync<string>("select email from auth.users where id = $1", user);
        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }

    internal static async Task<Scenario> ScenarioAsync(string purpose, string? language = null)
    {
        var db = await LibraryDatabase.CreateAsync(purpose);
        var org = await db.OrganisationAsync("Likepersonforeningen");
        if (language is not null) await db.DataSource.ExecuteAsync("update public.organisations set language = $2 where id = $1", org, language);
        var a = await db.ChapterAsync(org, "Bergen");
        var b = await db.ChapterAsync(org, "Oslo");
        var ca = await db.CoordinatorAsync([a]);
        var cb = await db.CoordinatorAsync([b]);
        var cab = await db.CoordinatorAsync([a, b]);
        var revoked = await db.CoordinatorAsync([a], revoked: true);
        var noEmail = await db.CoordinatorAsync([b]);
        await db.DataSource.ExecuteAsync("update auth.users set email = null where id = $1", noEmail);
        var one = await db.MentorAsync(org, [a], -1, name: "Mentor One");
        var two = await db.MentorAsync(org, [a, b], -1, name: "Mentor Two");
        var three = await db.MentorAsync(org, [b], -1, name: "Mentor Three");
        var run = await new CertificationExpiryJob(db.DataSource).RunAsync();
        return new Scenario(db, run.RunId, ca, cb, cab, revoked, noEmail, one, two, three);
    }

    internal static SmtpChannelOptions Smtp(int port, int timeoutSeconds = 5) => new()
    {
        Host = "127.0.0.1", Port = port, Security = SecureSocketOptions.None, FromAddress = "varsler@example.no", FromName = "MentorStatus",
        TimeoutSeconds = timeoutSeconds,
    };

    internal static NotificationDispatcher Dispatcher(LibraryDatabase db, IReadOnlyList<INotificationChannel> channels, TimeProvider time, int maxAttempts = 3) =>
        new(db.DataSource, channels, time, new NotificationDispatcherOptions { BaseBackoff = TimeSpan.FromMinutes(1), MaxAttempts = maxAttempts });

    private static string To(MimeMessage m) => string.Join(",", m.To.Mailboxes.Select(x => x.Address));

    [Fact]
    public async Task OneMessagePerCoordinatorPerRun_BothBodiesInNorwegian_NothingForRevoked_NoAddressRecorded()
    {
        await using var s = await ScenarioAsync("email_per_coordinator");
        await using var smtp = new TestSmtpServer(user: "mailer", password: "s3cret");
        var options = Smtp(smtp.Port);
        options.Username = "mailer";
        options.Password = "s3cret";
        options.AllowInsecureAuth = true; // the test server has no TLS
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));

        var result = await Dispatcher(s.Db, [new InboxChannel(s.Db.DataSource), new SmtpEmailChannel(options)], time).DispatchAsync();

        Assert.Equal(new DispatchResult(4, 0, 0), result); // ca, cb, cab, noemail (inbox); never the revoked one
        var byRecipient = smtp.Received.ToDictionary(To);
        Assert.Equal(new[] { await s.EmailOf(s.Ca), await s.EmailOf(s.Cab), await s.EmailOf(s.Cb) }.Order(), byRecipient.Keys.Order());
        Assert.DoesNotContain(await s.EmailOf(s.Revoked), byRecipient.Keys);

        // The coordinator of both chapters gets ONE message listing all three mentors, Mentor Two once.
        var cab = byRecipient[await s.EmailOf(s.Cab)];
        Assert.Equal("3 likepersoner er satt på pause", cab.Subject);
        Assert.Equal("varsler@example.no", cab.From.Mailboxes.Single().Address);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(cab.TextBody!, "Mentor Two"));
        foreach (var name in new[] { "Mentor One", "Mentor Two", "Mentor Three" })
        {
            Assert.Contains(name, cab.TextBody);
            Assert.Contains(name, cab.HtmlBody);
        }
        Assert.Contains("Sertifiseringen er utløpt.", cab.TextBody);
        Assert.Contains("Sertifiseringen er utløpt.", cab.HtmlBody);
        Assert.DoesNotContain("certification_expired", cab.TextBody + cab.HtmlBody); // the description, never the code
        Assert.Contains("Bergen, Oslo", cab.TextBody); // Mentor Two's chapters

        var ca = byRecipient[await s.EmailOf(s.Ca)];
        Assert.Equal("2 likepersoner er satt på pause", ca.Subject);
        Assert.DoesNotContain("Mentor Three", ca.TextBody);
        var notificationOfCa = await s.Db.DataSource.ScalarAsync<Guid>("select id from public.coordinator_notifications where coordinator_user_id = $1", s.Ca);
        Assert.Equal($"{notificationOfCa:N}@mentorstatus.notifications", ca.MessageId);

        // No address: the in-app row is there, the email outcome says why, the notification is sent (the inbox delivered).
        Assert.Equal(["inbox delivered", "email no_address"], await s.Db.DataSource.ColumnAsync("""
            select d.channel || ' ' || d.outcome from public.coordinator_notification_deliveries d
            join public.coordinator_notifications n on n.id = d.notification_id
            where n.coordinator_user_id = $1 order by d.channel desc
            """, s.NoEmail));
        Assert.Equal(1L, await s.Db.CountAsync("select count(*) from public.coordinator_inbox where user_id = $1", s.NoEmail));
        Assert.Equal(["sent|email: no address: the coordinator has no email in auth.users"], await s.Db.DataSource.ColumnAsync(
            "select status || '|' || last_error from public.coordinator_notifications where coordinator_user_id = $1", s.NoEmail));
    }

    [Fact]
    public async Task EnglishOrganisation_GetsTheEnglishTemplate()
    {
        await using var s = await ScenarioAsync("email_english", language: "en");
        await using var smtp = new TestSmtpServer();
        await Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port))], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1))).DispatchAsync();

        var cb = smtp.Received.Single(m => To(m) == s.EmailOf(s.Cb).Result);
        Assert.Equal("2 peer mentors have been paused", cb.Subject);
        Assert.Contains("The certification has expired.", cb.TextBody);
        Assert.Contains("The certification has expired.", cb.HtmlBody);
        Assert.Contains("<html lang=\"en\">", cb.HtmlBody);
        Assert.DoesNotContain("likeperson", cb.TextBody);
    }

    [Fact]
    public async Task ServerRefusesWith5xx_GivesUpAtOnce_NeverSent()
    {
        await using var s = await ScenarioAsync("email_5xx");
        await using var smtp = new TestSmtpServer(TestSmtpServer.Mode.Refuse5xx);
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));

        var result = await Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port))], time).DispatchAsync();

        // ca, cb, cab refused (permanent); noemail has no address and no other channel: failed too, nothing reached them.
        Assert.Equal(new DispatchResult(0, 0, 4), result);
        Assert.Empty(smtp.Received);
        Assert.Equal(0L, await s.Db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent'"));
        Assert.Equal(3L, await s.Db.CountAsync(
            "select count(*) from public.coordinator_notifications where status = 'failed' and attempts = 1 and last_error like 'email: smtp 554:%refused by policy%'"));
    }

    [Fact]
    public async Task ConnectionDroppedMidData_IsRetried_ThenFailedAfterMaxAttempts_NeverSent()
    {
        await using var s = await ScenarioAsync("email_dropped");
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where coordinator_user_id <> $1", s.Ca);
        await using var smtp = new DroppingSmtpServer();
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var dispatcher = Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port))], time, maxAttempts: 2);

        Assert.Equal(new DispatchResult(0, 1, 0), await dispatcher.DispatchAsync());
        Assert.Equal(["pending|1|email retrying"], await s.Db.DataSource.ColumnAsync("""
            select n.status || '|' || n.attempts || '|' || d.channel || ' ' || d.outcome
            from public.coordinator_notifications n join public.coordinator_notification_deliveries d on d.notification_id = n.id
            """));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new DispatchResult(0, 0, 1), await dispatcher.DispatchAsync());

        Assert.Equal(2, smtp.Dropped);
        Assert.Equal(["failed|2|email failed|2"], await s.Db.DataSource.ColumnAsync("""
            select n.status || '|' || n.attempts || '|' || d.channel || ' ' || d.outcome || '|' || d.attempts
            from public.coordinator_notifications n join public.coordinator_notification_deliveries d on d.notification_id = n.id
            """));
        Assert.StartsWith("email: smtp:", await s.Db.DataSource.ScalarAsync<string>("select last_error from public.coordinator_notifications"));
    }

    [Fact]
    public async Task SlowServerPastTheTimeout_IsRetried_NotSent()
    {
        await using var s = await ScenarioAsync("email_slow");
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where coordinator_user_id <> $1", s.Ca);
        await using var smtp = new TestSmtpServer(TestSmtpServer.Mode.Slow) { SlowBy = TimeSpan.FromSeconds(6) };
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var started = DateTime.UtcNow;

        var result = await Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port, timeoutSeconds: 1))], time).DispatchAsync();

        Assert.Equal(new DispatchResult(0, 1, 0), result);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5.5), "the channel waited past its timeout");
        Assert.Equal(["pending|1"], await s.Db.DataSource.ColumnAsync("select status || '|' || attempts from public.coordinator_notifications"));
        Assert.Empty(smtp.Received);

        // The server is well again: the retry delivers it, once.
        smtp.Behaviour = TestSmtpServer.Mode.Accept;
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(new DispatchResult(1, 0, 0), await Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port))], time).DispatchAsync());
        Assert.Single(smtp.Received);
    }

    [Fact]
    public async Task StartTlsWhenAvailable_AgainstAServerWithoutStartTls_SendsNoPassword_AndGivesUpSayingWhy()
    {
        await using var s = await ScenarioAsync("email_no_starttls");
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where coordinator_user_id <> $1", s.Ca);
        await using var smtp = new TestSmtpServer(user: "mailer", password: "s3cret");
        foreach (var security in new[] { SecureSocketOptions.StartTlsWhenAvailable, SecureSocketOptions.Auto })
        {
            var options = Smtp(smtp.Port);
            options.Security = security;
            options.Username = "mailer";
            options.Password = "s3cret";
            await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notification_deliveries; update public.coordinator_notifications set status = 'pending', sent_at = null, attempts = 0, next_attempt_at = now()");

            var result = await Dispatcher(s.Db, [new SmtpEmailChannel(options)], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1))).DispatchAsync();

            Assert.Equal(new DispatchResult(0, 0, 1), result); // final at once: no retry would make the server offer TLS
            Assert.Equal(0, smtp.AuthAttempts); // the password never crossed the plain connection
            Assert.Empty(smtp.Received);
            var error = await s.Db.DataSource.ScalarAsync<string>("select last_error from public.coordinator_notifications");
            Assert.Contains("offered no TLS", error);
            Assert.Contains("AllowInsecureAuth", error);
        }

        // Said explicitly, for a local test server: the login is sent and the message delivered.
        var allowed = Smtp(smtp.Port);
        allowed.Security = SecureSocketOptions.StartTlsWhenAvailable;
        allowed.Username = "mailer";
        allowed.Password = "s3cret";
        allowed.AllowInsecureAuth = true;
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notification_deliveries; update public.coordinator_notifications set status = 'pending', sent_at = null, attempts = 0, next_attempt_at = now()");
        Assert.Equal(new DispatchResult(1, 0, 0), await Dispatcher(s.Db, [new SmtpEmailChannel(allowed)], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1))).DispatchAsync());
        Assert.Equal(1, smtp.AuthAttempts);
    }

    [Fact]
    public void SecurityNoneWithALogin_IsRefusedAsSettings_UnlessAllowInsecureAuth()
    {
        var options = Smtp(2525);
        options.Username = "mailer";
        options.Password = "s3cret";
        var refused = Assert.Throws<ArgumentException>(() => new SmtpEmailChannel(options));
        Assert.Contains("MentorStatus:Notifications:Smtp:AllowInsecureAuth", refused.Message);
        Assert.Contains("unencrypted", refused.Message);

        options.AllowInsecureAuth = true;
        Assert.Null(options.Problem());
        options.AllowInsecureAuth = false;
        options.Username = null; // no login: nothing secret to protect, a plain local server is fine
        Assert.Null(options.Problem());
    }

    [Fact]
    public async Task AMalformedRecipientAddress_IsGivenUpAtOnce_WithTheReason_NotRetried()
    {
        await using var s = await ScenarioAsync("email_malformed_address");
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notifications where coordinator_user_id not in ($1, $2)", s.Ca, s.Cb);
        await s.Db.DataSource.ExecuteAsync("update auth.users set email = 'ca at example.no' where id = $1", s.Ca);
        await s.Db.DataSource.ExecuteAsync("update auth.users set email = E'cb@example.no\r\nBcc: spy@example.org' where id = $1", s.Cb);
        await using var smtp = new TestSmtpServer();
        var time = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));

        var result = await Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port))], time, maxAttempts: 8).DispatchAsync();

        Assert.Equal(new DispatchResult(0, 0, 2), result);
        Assert.Empty(smtp.Received);
        Assert.Equal(["failed|1|email failed", "failed|1|email failed"], await s.Db.DataSource.ColumnAsync("""
            select n.status || '|' || n.attempts || '|' || d.channel || ' ' || d.outcome
            from public.coordinator_notifications n join public.coordinator_notification_deliveries d on d.notification_id = n.id
            """));
        var errors = await s.Db.DataSource.ColumnAsync("select last_error from public.coordinator_notifications order by last_error");
        Assert.Equal(["email: invalid address 'ca at example.no': not one plain email address (local@domain); fix the coordinator's email in auth.users, then `notifications retry`",
                      "email: invalid address 'cb@example.no\\u000d\\u000aBcc: spy@example.org': not one plain email address (local@domain); fix the coordinator's email in auth.users, then `notifications retry`"],
            errors);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(new DispatchResult(0, 0, 0), await Dispatcher(s.Db, [new SmtpEmailChannel(Smtp(smtp.Port))], time).DispatchAsync());
    }
}
