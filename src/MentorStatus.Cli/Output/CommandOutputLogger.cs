using Microsoft.Extensions.Logging;

namespace MentorStatus.Cli.Output;

/// <summary>
/// The library's and the engine's ILogger lines on stderr, through <see cref="CommandOutput"/>: warnings and
/// errors always, everything from Debug up with --verbose (progress lines already say what Information would).
/// </summary>
internal sealed class CommandOutputLogger(CommandOutput output, string category) : ILogger
{
    private LogLevel Minimum => output.IsVerbose ? LogLevel.Debug : LogLevel.Warning;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= Minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{logLevel.ToString().ToLowerInvariant()} {category}[{eventId.Id}]: {formatter(state, exception)}";
        if (logLevel >= LogLevel.Warning) output.Warn(line);
        else output.Info(line);
        if (exception is not null && output.IsVerbose) output.Detail(exception.ToString());
    }
}
