using Microsoft.Extensions.Logging;

namespace MentorStatus.DependencyInjection;

/// <summary>
/// The application's logger factory as the library's data source sees it: Npgsql's per-statement lines (category
/// Npgsql.Command, logged at Information) pass only from Warning up, unless MentorStatus:LogStatements is true; every
/// other Npgsql category (connections, errors) passes as the application's own filters decide.
/// </summary>
internal sealed class StatementLogFilter(ILoggerFactory inner) : ILoggerFactory
{
    private const string CommandCategory = "Npgsql.Command";

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == CommandCategory ? new WarningsOnly(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The application owns its factory: the data source's disposal must not dispose it.
    public void Dispose() { }

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
