using Microsoft.Extensions.Configuration;
using Npgsql;

namespace MentorStatus.Notifications;

/// <summary>Which channels deliver (bind from configuration section <see cref="SectionName"/>, key Channels).</summary>
public sealed class NotificationChannelsOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "MentorStatus:Notifications";

    /// <summary>Channel names: inbox, email, webhook (console for local development only).</summary>
    public List<string> Channels { get; set; } = [];
}

/// <summary>Builds the configured channels, after checking that each has what it needs (so nothing is claimed before a bad setting is found).</summary>
public static class NotificationChannels
{
    /// <summary>The channel names <see cref="Create"/> understands.</summary>
    public static IReadOnlyList<string> Known { get; } =
        [InboxChannel.ChannelName, SmtpEmailChannel.ChannelName, WebhookChannel.ChannelName, ConsoleChannel.ChannelName];

    /// <summary>Splits "inbox,email" entries, lower-cases, removes duplicates, keeps the order.</summary>
    public static List<string> Normalise(IEnumerable<string> names) =>
        names.SelectMany(n => n.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
             .Select(n => n.ToLowerInvariant()).Distinct().ToList();

    /// <summary>
    /// The channel names under a notifications section's Channels key, normalised: a JSON array, or one
    /// comma-separated string as an environment variable gives it (MENTORSTATUS__NOTIFICATIONS__CHANNELS=inbox,email),
    /// which the configuration binder alone would bind to an empty list. Shared by AddMentorStatus and the CLI.
    /// </summary>
    /// <param name="notificationsSection">The section holding Channels (MentorStatus:Notifications).</param>
    /// <returns>The configured names; empty when none.</returns>
    public static List<string> ConfiguredNames(IConfiguration notificationsSection)
    {
        ArgumentNullException.ThrowIfNull(notificationsSection);
        var section = notificationsSection.GetSection(nameof(NotificationChannelsOptions.Channels));
        var values = new List<string>();
        if (!string.IsNullOrWhiteSpace(section.Value)) values.Add(section.Value);
        values.AddRange(section.GetChildren().Select(c => c.Value).OfType<string>().Where(v => !string.IsNullOrWhiteSpace(v)));
        return Normalise(values);
    }

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

    /// <summary>One channel per name, in the given order. Check <see cref="Problems"/> first: a channel with unusable settings throws here.</summary>
    /// <param name="names">Normalised channel names.</param>
    /// <param name="dataSource">The database, for the inbox channel.</param>
    /// <param name="smtp">Settings of the email channel.</param>
    /// <param name="webhook">Settings of the webhook channel.</param>
    /// <param name="http">The HTTP client of the webhook channel.</param>
    /// <param name="console">Where the console channel writes.</param>
    /// <returns>The channels.</returns>
    /// <exception cref="ArgumentException">An unknown name or unusable settings.</exception>
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
