using MentorStatus.DependencyInjection;
using MentorStatus.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MentorStatus.Tests.DotNet;

/// <summary>A service provider built the way an application builds it: configuration section, AddMentorStatus, logging.</summary>
public static class MentorStatusHost
{
    public static ServiceProvider Build(string connectionString, CapturingLoggerProvider? logs = null,
        IDictionary<string, string?>? settings = null, Action<IServiceCollection>? more = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["MentorStatus:ConnectionString"] = connectionString,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null) b.AddProvider(logs);
        });
        services.AddMentorStatus(configuration.GetSection(MentorStatusOptions.SectionName));
        more?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
