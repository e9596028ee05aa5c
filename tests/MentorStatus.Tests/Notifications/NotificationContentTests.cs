using MentorStatus.Notifications;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;

namespace MentorStatus.Tests.Notifications;

/// <summary>
/// What a notification says: only what its recipient may see (the chapters they coordinate, never the mentor's
/// other chapters), and no control character from a name in an email; `notifications list` prints a stored
/// channel error without terminal escape sequences.
/// </summary>
public sealed class NotificationContentTests
{
    [Fact]
    public async Task AMentorsChapters_AreNamedOnlyToTheCoordinatorsOfThoseChapters()
    {
        // Mentor Two is in Bergen (coordinated by ca) and Oslo (cb); cab coordinates both.
        await using var s = await EmailChannelTests.ScenarioAsync("content_chapters");
        await using var smtp = new TestSmtpServer();
        await EmailChannelTests.Dispatcher(s.Db, [new SmtpEmailChannel(EmailChannelTests.Smtp(smtp.Port))], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1)))
            .DispatchAsync();
        string BodyOf(string email) => smtp.Received.Single(m => m.To.Mailboxes.Single().Address == email).TextBody!;

        var ca = BodyOf(await s.EmailOf(s.Ca));
        Assert.Contains("Mentor Two (Bergen)", ca);
        Assert.DoesNotContain("Oslo", ca);
        var cb = BodyOf(await s.EmailOf(s.Cb));
        Assert.Contains("Mentor Two (Oslo)", cb);
        Assert.DoesNotContain("Bergen", cb);
        Assert.Contains("Mentor Two (Bergen, Oslo)", BodyOf(await s.EmailOf(s.Cab)));

        // (the mentor really is in both chapters)
        Assert.Equal("Bergen, Oslo", await s.Db.DataSource.ScalarAsync<string>("""
            select string_agg(c.name, ', ' order by c.name)
            from public.chapter_memberships cm join public.chapters c on c.id = cm.chapter_id
            where cm.mentor_id = $1
            """, s.Two));
    }

    [Fact]
    public async Task ControlCharactersInANameNeverReachTheEmail()
    {
        await using var db = await LibraryDatabase.CreateAsync("content_control_chars");
        var org = await db.OrganisationAsync("Likepersonforeningen");
        var chapter = await db.ChapterAsync(org, "Bergen\u001b[8m");
        var coordinator = await db.CoordinatorAsync([chapter]);
        await db.MentorAsync(org, [chapter], -1, name: "Eve\u001b[2J\u001b]0;owned\u0007\r\nBcc: attacker@example.org\u202Egnp.exe\u0085");
        await new CertificationExpiryJob(db.DataSource).RunAsync();
        await using var smtp = new TestSmtpServer();

        await EmailChannelTests.Dispatcher(db, [new SmtpEmailChannel(EmailChannelTests.Smtp(smtp.Port))], new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1)))
            .DispatchAsync();

        var message = Assert.Single(smtp.Received);
        foreach (var (part, text) in new[] { ("subject", message.Subject ?? ""), ("text", message.TextBody ?? ""), ("html", message.HtmlBody ?? "") })
        {
            var bad = text.Where(c => (char.IsControl(c) && c is not '\r' and not '\n') || c is '\u202E').Select(c => $"U+{(int)c:X4}").ToList();
            Assert.True(bad.Count == 0, $"the {part} carries control characters {string.Join(" ", bad)}:\n{text}");
            Assert.DoesNotContain("owned", text); // the whole escape sequence went, not only its ESC
            Assert.DoesNotMatch(@"(?m)^\s*Bcc:", text); // no forged line
        }
        Assert.Contains("Eve", message.TextBody);
        Assert.Contains("Bcc: attacker@example.org", message.TextBody); // kept as text, on the name's own line
        Assert.Contains("(Bergen)", message.TextBody);
        Assert.Equal("Eve", PrintableText.Clean("E\u0000v\u202Ee\u001b[0m"));
    }

    [Fact]
    public async Task NotificationsList_PrintsAStoredErrorWithoutTerminalEscapeSequences()
    {
        await using var s = await EmailChannelTests.ScenarioAsync("content_list_escape");
        await s.Db.DataSource.ExecuteAsync("""
            update public.coordinator_notifications
            set last_error = E'smtp 554: refused \x1b]0;owned\x07\x1b[2J\x1b[31mred\r\nforged line'
            where coordinator_user_id = $1
            """, s.Ca);

        var list = await CliRunner.RunAsync(TestDatabases.Project.Root, "notifications", "list", "--db-url", s.Db.Url);

        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Contains("554", list.Stdout);
        Assert.DoesNotContain('\u001b', list.Stdout);
        Assert.DoesNotContain('\u0007', list.Stdout);
        Assert.DoesNotContain("owned", list.Stdout);
    }
}
