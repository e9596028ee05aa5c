using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>Which channels deliver (bind from configuration section <see cref="SectionName"/>, key Channels).</summary>
public sealed class NotificationChannelsOptions
{
    public const string SectionName = "MentorStatus:Notifications";

    /// <summary>Channel names: inbox, email, webhook (console for local development only).</summary>
    public List<string> Channels { get; set; } = [];
}

/// <summary>Builds the configured channels, after checking that each has what it needs (so nothing is claimed before a bad setting is found).</summary>
public static class NotificationChannels
{
    public static IReadOnlyList<string> Known { get; } =
        [InboxChannel.ChannelName, SmtpEmailChannel.ChannelName, WebhookChannel.ChannelName, ConsoleChannel.ChannelName];

    /// <summary>Splits "inbox,email" entries, lower-cases, removes duplicates, keeps the order.</summary>
    public static List<string> Normalise(IEnumerable<string> names) =>
        names.SelectMany(n => n.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
             .Select(n => n.ToLowerInvariant()).Distinct().ToList();

    /// <summary>What is wrong with this choice of channels and their settings, each with its fix; empty when usable.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<string> names, SmtpChannelOptions smtp, WebhookChannelOptions webhook)
    {
        var problems = new List<string>();
        foreach (var unknown in names.Where(n => !Known.Contains(n)))
            problems.Add($"unknown channel \"{unknown}\": use {string.Join(", ", Known)}");
        if (names.Contains(SmtpEmailChannel.ChannelName) && smtp.Problem() is { } s) problems.Add(s);
        if (names.Contains(WebhookChannel.ChannelName) && webhook.Problem() is { } w) problems.Add(w);
        return problems;
    }

    public static IReadOnlyList<INotificationChannel> Create(IReadOnlyList<string> names, NpgsqlDataSource dataSource,
        SmtpChannelOptions smtp, WebhookChannelOptions webhook, HttpClient http, TextWriter console) =>
        names.Select(name => name switch
        {
            InboxChannel.ChannelName => (INotificationChannel)new InboxChannel(dataSource),
            SmtpEmailChannel.ChannelName => new SmtpEmailChannel(smtp),
            WebhookChannel.ChannelName => new WebhookChannel(webhook, http),
            ConsoleChannel.ChannelName => new ConsoleChannel(console),
            _ => throw new ArgumentException($"unknown channel \"{name}\": use {string.Join(", ", Known)}"),
        }).ToList();
}
