using Microsoft.Extensions.Configuration;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// Settings the .NET way, later sources winning: appsettings.json in the working directory, environment
/// variables (MENTORSTATUS__NOTIFICATIONS__SMTP__HOST = MentorStatus:Notifications:Smtp:Host), then the
/// command line (--set KEY=VALUE and the verb's own options).
/// </summary>
internal static class CliConfiguration
{
    public const string FileName = "appsettings.json";

    public static IConfiguration Build(IEnumerable<string> settings, IDictionary<string, string?>? overrides = null)
    {
        var fromCommandLine = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in settings)
        {
            var eq = setting.IndexOf('=');
            if (eq <= 0)
                throw new UsageException($"--set \"{setting}\" is not KEY=VALUE; e.g. --set MentorStatus:Notifications:Smtp:Host=smtp.example.no");
            fromCommandLine[setting[..eq].Trim()] = setting[(eq + 1)..];
        }
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) fromCommandLine[key] = value;
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile(FileName, optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(fromCommandLine)
            .Build();
    }

    /// <summary>Binds a section to a new options object; a value that does not convert is a usage error naming the key.</summary>
    public static T Bind<T>(IConfiguration configuration, string section) where T : new()
    {
        var options = new T();
        try
        {
            configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"setting under {section} is not valid: {e.Message}");
        }
        return options;
    }
}
