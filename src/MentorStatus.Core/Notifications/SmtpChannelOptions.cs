using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace MentorStatus.Notifications;

/// <summary>Settings of the email channel (bind from configuration section <see cref="SectionName"/>).</summary>
public sealed class SmtpChannelOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "MentorStatus:Notifications:Smtp";

    /// <summary>SMTP server host name.</summary>
    [Required]
    public string? Host { get; set; }

    /// <summary>587 (submission, STARTTLS) by default; 465 for TLS on connect.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>StartTls (default: required), SslOnConnect (port 465), StartTlsWhenAvailable, Auto, or None (local test servers only).</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    /// <summary>Login; authentication is skipped when empty.</summary>
    public string? Username { get; set; }

    /// <summary>Password for <see cref="Username"/>; keep it in a secret store, not in appsettings.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Allow the login to travel over an unencrypted connection (a local test server without TLS). Off: with
    /// <see cref="Security"/> None the settings are refused, and a server that offers no STARTTLS under
    /// StartTlsWhenAvailable or Auto gets no login (the message is given up, saying why).
    /// </summary>
    public bool AllowInsecureAuth { get; set; }

    /// <summary>Sender address, e.g. varsler@example.no.</summary>
    [Required, EmailAddress]
    public string? FromAddress { get; set; }

    /// <summary>Display name of the sender ("MentorStatus" by default).</summary>
    public string FromName { get; set; } = "MentorStatus";

    /// <summary>Longest wait for the server at any step (connect, each command, the DATA reply).</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Throws a message naming the missing settings; null when usable.</summary>
    public string? Problem()
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(Host)) missing.Add($"{SectionName}:Host");
        if (string.IsNullOrWhiteSpace(FromAddress) || !FromAddress.Contains('@')) missing.Add($"{SectionName}:FromAddress");
        if (Port is < 1 or > 65535) missing.Add($"{SectionName}:Port (1-65535)");
        if (TimeoutSeconds < 1) missing.Add($"{SectionName}:TimeoutSeconds (> 0)");
        if (!string.IsNullOrEmpty(Username) && Security == SecureSocketOptions.None && !AllowInsecureAuth)
            missing.Add($"{SectionName}:Security StartTls or SslOnConnect: with None the password would cross the network unencrypted " +
                        $"(or set {SectionName}:AllowInsecureAuth=true for a local test server)");
        return missing.Count == 0 ? null : "the email channel needs " + string.Join(", ", missing);
    }
}
