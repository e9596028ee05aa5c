using Microsoft.Extensions.Options;

namespace MentorStatus.Worker;

/// <summary>Composes the worker host; Program runs it, the tests build it with their own settings.</summary>
public static class WorkerApp
{
    /// <summary>The health endpoint.</summary>
    public const string HealthPath = "/healthz";

    /// <summary>Builds the host: the library (AddMentorStatus), the schedules, systemd integration and the health endpoint.</summary>
    /// <param name="args">Command-line arguments (configuration overrides such as --Worker:RunOnStart=true).</param>
    /// <param name="configure">Lets a test add settings or services before the host is built.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddMentorStatus(builder.Configuration.GetSection("MentorStatus"));
        builder.Services.AddOptions<WorkerOptions>().Bind(builder.Configuration.GetSection(WorkerOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();
        builder.Services.AddHostedService<SchemaVerification>();
        builder.Services.AddHostedService<ExpiryJobService>();
        builder.Services.AddHostedService<DispatcherService>();
        builder.Services.AddSystemd(); // notify systemd when started/stopping, journald-friendly logs; no-op elsewhere
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapHealthChecks(HealthPath);
        return app;
    }
}
