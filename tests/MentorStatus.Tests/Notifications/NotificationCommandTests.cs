using System.Text.Json;
using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;

namespace MentorStatus.Tests.Notifications;

/// <summary>`notifications dispatch|list|retry` as a user runs them.</summary>
public sealed class NotificationCommandTests
{
    private static string Root => TestDatabases.Project.Root;

    [Fact]
    public async Task DispatchWithNoChannel_ExitsTwo_NamesHowToConfigure_ChangesNothing()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("cli_no_channel");
        var before = await s.Db.DataSource.ColumnAsync("select id || status || attempts || next_attempt_at from public.coordinator_notifications order by id");
        // the database wrote the inbox rows when the run finished; a refused dispatch changes none of them
        var inboxBefore = await s.Db.DataSource.ColumnAsync("select notification_id::text || user_id::text || coalesce(read_at::text, '') from public.coordinator_inbox order by 1");

        var none = await CliRunner.RunAsync(Root, "notifications", "dispatch", "--db-url", s.Db.Url);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("no notification channel is configured", none.Stderr);
        Assert.Contains("--channel inbox", none.Stderr);
        Assert.Contains("MENTORSTATUS__NOTIFICATIONS__CHANNELS", none.Stderr);

        var emailWithoutHost = await CliRunner.RunAsync(Root, "notifications", "dispatch", "--channel", "email", "--db-url", s.Db.Url);
        Assert.Equal(2, emailWithoutHost.ExitCode);
        Assert.Contains("MentorStatus:Notifications:Smtp:Host", emailWithoutHost.Stderr);

        Assert.Equal(before, await s.Db.DataSource.ColumnAsync("select id || status || attempts || next_attempt_at from public.coordinator_notifications order by id"));
        Assert.Equal(inboxBefore, await s.Db.DataSource.ColumnAsync("select notification_id::text || user_id::text || coalesce(read_at::text, '') from public.coordinator_inbox order by 1"));
    }

    [Fact]
    public async Task ListShowsFailures_RetryRequeuesThem_AndTheNextDispatchSendsOnlyWhatFailed()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("cli_list_retry");
        await using var smtp = new TestSmtpServer(TestSmtpServer.Mode.Refuse5xx);
        string[] email =
        [
            "--set", "MentorStatus:Notifications:Smtp:Host=127.0.0.1", "--set", $"MentorStatus:Notifications:Smtp:Port={smtp.Port}",
            "--set", "MentorStatus:Notifications:Smtp:Security=None", "--set", "MentorStatus:Notifications:Smtp:FromAddress=varsler@example.no",
        ];

        var refused = await CliRunner.RunAsync(Root, ["notifications", "dispatch", "--channel", "inbox,email", "--json", "--db-url", s.Db.Url, .. email]);
        Assert.True(refused.ExitCode == 0, refused.Stderr); // the inbox delivered: sent, with the email failure recorded beside it
        using (var json = JsonDocument.Parse(refused.Stdout)) Assert.Equal(4, json.RootElement.GetProperty("sent").GetInt32());

        var list = await CliRunner.RunAsync(Root, "notifications", "list", "--status", "sent", "--json", "--db-url", s.Db.Url);
        Assert.True(list.ExitCode == 0, list.Stderr);
        using (var json = JsonDocument.Parse(list.Stdout))
        {
            var entries = json.RootElement.EnumerateArray().ToList();
            Assert.Equal(4, entries.Count);
            var channels = entries.SelectMany(e => e.GetProperty("channels").EnumerateArray())
                .Select(c => $"{c.GetProperty("channel").GetString()} {c.GetProperty("outcome").GetString()}").Order().ToList();
            Assert.Equal(["email failed", "email failed", "email failed", "email no_address", "inbox delivered", "inbox delivered", "inbox delivered", "inbox delivered"], channels);
        }

        // Email only now: the inbox is not configured, so nothing delivers; all give up.
        await s.Db.DataSource.ExecuteAsync("delete from public.coordinator_notification_deliveries; update public.coordinator_notifications set status = 'pending', sent_at = null, attempts = 0");
        var failed = await CliRunner.RunAsync(Root, ["notifications", "dispatch", "--channel", "email", "--db-url", s.Db.Url, .. email]);
        Assert.Equal(1, failed.ExitCode);
        var failedList = await CliRunner.RunAsync(Root, "notifications", "list", "--status", "failed", "--db-url", s.Db.Url);
        Assert.Contains("smtp 554", failedList.Stdout);

        var usage = await CliRunner.RunAsync(Root, "notifications", "retry", "--db-url", s.Db.Url);
        Assert.Equal(2, usage.ExitCode);
        var unknown = await CliRunner.RunAsync(Root, "notifications", "retry", Guid.NewGuid().ToString(), "--db-url", s.Db.Url);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("is not in the outbox", unknown.Stderr);

        var retry = await CliRunner.RunAsync(Root, "notifications", "retry", "--failed", "--json", "--db-url", s.Db.Url);
        Assert.True(retry.ExitCode == 0, retry.Stderr);
        using (var json = JsonDocument.Parse(retry.Stdout)) Assert.Equal(4, json.RootElement.GetProperty("requeued").GetArrayLength());
        Assert.Equal(4L, await s.Db.CountAsync("select count(*) from public.coordinator_notifications where status = 'pending' and attempts = 0 and last_error is not null"));

        smtp.Behaviour = TestSmtpServer.Mode.Accept;
        var again = await CliRunner.RunAsync(Root, ["notifications", "dispatch", "--channel", "inbox,email", "--json", "--db-url", s.Db.Url, .. email]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(3, smtp.Received.Count);
        Assert.Equal(4L, await s.Db.CountAsync("select count(*) from public.coordinator_notifications where status = 'sent'"));
    }

    [Fact]
    public async Task ListWritesTheOutboxsStatusWords_AndAStatusTheCodeDoesNotKnowIsASchemaMismatch()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("cli_list_status_words");
        var ids = (await s.Db.DataSource.ColumnAsync("select id::text from public.coordinator_notifications order by id")).Select(Guid.Parse).ToList();
        Assert.Equal(4, ids.Count);
        await s.Db.DataSource.ExecuteAsync("update public.coordinator_notifications set status = 'pending', attempts = 2 where id = $1", ids[1]);
        await s.Db.DataSource.ExecuteAsync("update public.coordinator_notifications set status = 'sent', sent_at = now(), attempts = 1 where id = $1", ids[2]);
        await s.Db.DataSource.ExecuteAsync("update public.coordinator_notifications set status = 'failed', attempts = 8 where id = $1", ids[3]);

        async Task<Dictionary<Guid, string>> StatusesAsync()
        {
            var list = await CliRunner.RunAsync(Root, "notifications", "list", "--json", "--db-url", s.Db.Url);
            Assert.True(list.ExitCode == 0, list.Stderr);
            using var json = JsonDocument.Parse(list.Stdout);
            return json.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("id").GetGuid(), e => e.GetProperty("status").GetString()!);
        }

        // The words users and scripts read: the stored text, and retrying for a pending row that failed before.
        var words = await StatusesAsync();
        Assert.Equal(["pending", "retrying", "sent", "failed"], ids.Select(id => words[id]));
        await s.Db.DataSource.ExecuteAsync("update public.coordinator_notifications set status = 'sending' where id = $1", ids[0]);
        Assert.Equal("sending", (await StatusesAsync())[ids[0]]);
        var table = await CliRunner.RunAsync(Root, "notifications", "list", "--db-url", s.Db.Url);
        Assert.True(table.ExitCode == 0, table.Stderr);
        foreach (var word in new[] { "sending", "retrying", "sent", "failed" }) Assert.Contains(word, table.Stdout);

        // A status a later migration might add, which this code does not know: a clear error, not a row shown half-understood.
        await s.Db.DataSource.ExecuteAsync("alter table public.coordinator_notifications drop constraint coordinator_notifications_status_check");
        await s.Db.DataSource.ExecuteAsync("update public.coordinator_notifications set status = 'bounced' where id = $1", ids[3]);
        var e = await Assert.ThrowsAsync<SchemaMismatchException>(() => new NotificationOutbox(s.Db.DataSource).ListAsync());
        Assert.Contains("\"bounced\"", e.Message);
        var unknown = await CliRunner.RunAsync(Root, "notifications", "list", "--db-url", s.Db.Url);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("unknown notification status \"bounced\"", unknown.Stderr);
        Assert.Contains("out of step", unknown.Stderr);
        Assert.DoesNotContain("   at ", unknown.Stderr);
    }
}
