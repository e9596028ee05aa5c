using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace MentorStatus.Notifications;

/// <summary>
/// Email over SMTP with MailKit: one message per notification (= per coordinator per run), plain text
/// and HTML, in the organisation's language. The Message-Id is derived from the notification id, so a
/// redelivery after a crash carries the same id. Outcomes: 250 = delivered; no address = no_address;
/// SMTP 5xx = give up (the server refuses this message; `notifications retry` after fixing the cause);
/// a malformed recipient address = give up at once (no retry can fix it); a login the connection would carry
/// unencrypted = give up, unless <see cref="SmtpChannelOptions.AllowInsecureAuth"/>; 4xx, a dropped connection,
/// a timeout, TLS or authentication trouble = retry with backoff.
/// </summary>
public sealed class SmtpEmailChannel : INotificationChannel
{
    private readonly SmtpChannelOptions options;

    /// <summary>Checks the settings first.</summary>
    /// <param name="options">The SMTP settings.</param>
    /// <exception cref="ArgumentException">The settings are unusable (<see cref="SmtpChannelOptions.Problem"/>).</exception>
    public SmtpEmailChannel(SmtpChannelOptions options)
    {
        if (options.Problem() is { } problem) throw new ArgumentException(problem);
        this.options = options;
    }

    /// <summary>The channel name used in configuration and recorded per delivery.</summary>
    public const string ChannelName = "email";

    /// <summary>Always <see cref="ChannelName"/>.</summary>
    public string Name => ChannelName;

    /// <summary>Sends one email; no address gives no_address, SMTP 5xx gives up, anything transient retries.</summary>
    public async Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct)
    {
        if (message.Email is null) return ChannelResult.NoAddress("no address: the coordinator has no email in auth.users");
        if (RecipientProblem(message.Email) is { } malformed) return ChannelResult.GiveUp(malformed);

        var mime = Build(message);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // MailKit's Timeout bounds each read and write; this bounds the whole exchange as well.
        timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds * 4));
        using var client = new SmtpClient { Timeout = options.TimeoutSeconds * 1000 };
        try
        {
            await client.ConnectAsync(options.Host!, options.Port, options.Security, timeout.Token);
            if (!string.IsNullOrEmpty(options.Username))
            {
                // StartTlsWhenAvailable and Auto carry on in plain text when the server offers no STARTTLS (or someone
                // on the way strips it): the password must not follow.
                if (!client.IsSecure && !options.AllowInsecureAuth)
                    return ChannelResult.GiveUp(
                        $"smtp: {options.Host}:{options.Port} offered no TLS (no STARTTLS), so the login was not sent over the unencrypted " +
                        $"connection; use a server with TLS (Security StartTls or SslOnConnect), or set {SmtpChannelOptions.SectionName}:AllowInsecureAuth=true for a local test server");
                await client.AuthenticateAsync(options.Username, options.Password ?? "", timeout.Token);
            }
            await client.SendAsync(mime, timeout.Token);
            await client.DisconnectAsync(true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None)
                .ContinueWith(_ => { }, TaskScheduler.Default); // the message is accepted; a slow QUIT changes nothing
            return ChannelResult.Delivered;
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
        {
            return ChannelResult.GiveUp($"smtp {(int)e.StatusCode}: {e.Message}");
        }
        catch (SmtpCommandException e)
        {
            return ChannelResult.Retry($"smtp {(int)e.StatusCode}: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ChannelResult.Retry($"smtp: no answer from {options.Host}:{options.Port} within the timeout");
        }
        catch (Exception e) when (e is SmtpProtocolException or IOException or SocketException or TimeoutException
                                      or AuthenticationException or SslHandshakeException or ServiceNotConnectedException)
        {
            return ChannelResult.Retry($"smtp: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Why <paramref name="address"/> cannot be a recipient, or null: it must be one plain address (local@domain), no
    /// display name, no list, no control characters. The error quotes it with control characters made visible.
    /// </summary>
    public static string? RecipientProblem(string address)
    {
        var ok = !address.Any(char.IsControl)
                 && MailboxAddress.TryParse(address, out var mailbox)
                 && mailbox.Address == address.Trim() && string.IsNullOrEmpty(mailbox.Name)
                 && mailbox.Address.IndexOf('@') is > 0 and var at && at < mailbox.Address.Length - 1
                 && mailbox.Address.Count(c => c == '@') == 1;
        if (ok) return null;
        var shown = string.Concat(address.Take(200).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return $"invalid address '{shown}': not one plain email address (local@domain); fix the coordinator's email in auth.users, then `notifications retry`";
    }

    /// <summary>The MIME message: from, to, subject, text and HTML alternatives, a stable Message-Id.</summary>
    public MimeMessage Build(NotificationMessage message)
    {
        var rendered = NotificationTemplates.Render(message);
        var mime = new MimeMessage
        {
            Subject = rendered.Subject,
            MessageId = $"{message.IdempotencyKey:N}@mentorstatus.notifications",
            Body = new BodyBuilder { TextBody = rendered.Text, HtmlBody = rendered.Html }.ToMessageBody(),
        };
        mime.From.Add(new MailboxAddress(options.FromName, options.FromAddress!));
        mime.To.Add(MailboxAddress.Parse(message.Email ?? throw new ArgumentException("the coordinator has no email address")));
        mime.Headers.Add("Idempotency-Key", message.IdempotencyKey.ToString());
        return mime;
    }
}
