using MentorStatus.Notifications;
using MentorStatus;
using MentorStatus.Database;
using MentorStatus.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using MentorStatus.DependencyInjection;

// The conventional namespace of IServiceCollection extensions, so `services.AddMentorStatus` needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the mentor-status library in a service collection.</summary>
public static class MentorStatusServiceCollectionExtensions
{
    /// <summary>
    /// Registers the library with options bound from a configuration section (usually
    /// <c>configuration.GetSection("MentorStatus")</c>): its own data source (keyed <see cref="MentorStatusDataSource.ServiceKey"/>,
    /// with <see cref="MentorStatus.NpgsqlDataSourceBuilderExtensions.UseMentorStatus"/>), the repository, the
    /// certification-expiry job, the coordinator notification service, the dispatcher, the health checks.
    /// Options are validated when the host starts; a key under the section that is no setting fails the validation.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configuration">The section holding <see cref="MentorStatusOptions"/>.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddMentorStatus(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var notifications = configuration.GetSection(nameof(MentorStatusOptions.Notifications));
        services.AddSingleton<IValidateOptions<MentorStatusOptions>>(new UnknownKeysValidator(configuration));
        services.AddOptions<MentorStatusOptions>().Bind(configuration)
            // the same reading of Channels as the CLI's, so "inbox,email" from an environment variable counts here too
            .PostConfigure(o =>
            {
                if (NotificationChannels.ConfiguredNames(notifications) is { Count: > 0 } names) o.Notifications.Channels = names;
            })
            .ValidateOnStart();
        return services.AddMentorStatusServices();
    }

    /// <summary>Registers the library (see the other overload) with options set in code.</summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets <see cref="MentorStatusOptions"/>; at least the connection string.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddMentorStatus(this IServiceCollection services, Action<MentorStatusOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<MentorStatusOptions>().Configure(configure).ValidateOnStart();
        return services.AddMentorStatusServices();
    }

    private static IServiceCollection AddMentorStatusServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // A second AddMentorStatus only adds its options (they combine); the services are registered once.
        if (services.Any(d => d.ServiceType == typeof(Registered))) return services;
        services.AddSingleton<Registered>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MentorStatusOptions>, MentorStatusOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // The library's own data source, a keyed singleton: an application's NpgsqlDataSource (AddNpgsqlDataSource or
        // its own) stays the application's. Built when first resolved, from the validated options, so configuration
        // read later (environment, secrets) counts and a missing value fails with the options' message. Npgsql logs
        // through the application's ILoggerFactory, without a line per statement unless LogStatements is set.
        services.AddKeyedSingleton(MentorStatusDataSource.ServiceKey, (provider, _) =>
        {
            var options = Options(provider);
            var builder = MentorStatusDataSource.CreateBuilder(DatabaseTarget.Parse(options.ConnectionString).ConnectionString);
            if (provider.GetService<ILoggerFactory>() is { } loggers)
                builder.UseLoggerFactory(options.LogStatements ? loggers : new StatementLogFilter(loggers));
            return builder.Build();
        });

        services.TryAddSingleton(provider => new MentorStatusRepository(
            DataSource(provider), Options(provider).Retry, logger: provider.GetService<ILogger<MentorStatusRepository>>()));
        services.TryAddSingleton(provider => new CertificationExpiryJob(
            DataSource(provider), provider.GetRequiredService<TimeProvider>(), Options(provider).Job,
            provider.GetService<ILogger<CertificationExpiryJob>>()));
        services.TryAddSingleton(provider => new CoordinatorNotificationService(
            DataSource(provider), Options(provider).Retry));
        // Delivery channels: every INotificationChannel registered (inbox, email, webhook — see docs/notifications.md),
        // plus an INotificationSender of your own if registered. None at all: resolving the dispatcher fails and
        // names the fix — a notification is never marked sent without a channel that accepted it.
        services.TryAddSingleton(provider =>
        {
            var configured = Options(provider).Notifications;
            var channels = NotificationChannels.Create(NotificationChannels.Normalise(configured.Channels),
                DataSource(provider), configured.Smtp, configured.Webhook, WebhookHttp.Value, Console.Error).ToList();
            channels.AddRange(provider.GetServices<INotificationChannel>());
            if (provider.GetService<INotificationSender>() is { } sender) channels.Add(new SenderChannel(sender));
            return new NotificationDispatcher(DataSource(provider), channels,
                provider.GetRequiredService<TimeProvider>(), Options(provider).Notifications.Dispatcher, provider.GetService<ILogger<NotificationDispatcher>>());
        });

        services.AddHealthChecks().AddMentorStatusChecks();
        return services;
    }

    private sealed class Registered;

    // One HttpClient for the webhook channel for the life of the process (a new one per dispatcher would exhaust sockets).
    private static readonly Lazy<HttpClient> WebhookHttp = new(() => new HttpClient());

    /// <summary>The library's data source (<see cref="MentorStatusDataSource.ServiceKey"/>).</summary>
    internal static NpgsqlDataSource DataSource(IServiceProvider provider) =>
        provider.GetRequiredKeyedService<NpgsqlDataSource>(MentorStatusDataSource.ServiceKey);

    private static MentorStatusOptions Options(IServiceProvider provider) =>
        provider.GetRequiredService<IOptions<MentorStatusOptions>>().Value;
}
