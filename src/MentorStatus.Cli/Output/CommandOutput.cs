using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MentorStatus.Cli.Output;

/// <summary>
/// Everything a command prints goes through here: tables and colour for people, or JSON on stdout for
/// scripts (--json). Progress, notes and errors go to stderr, so stdout stays parseable.
/// </summary>
internal sealed class CommandOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new TimeSpanMillisecondsConverter() },
    };

    private readonly TextWriter _stdout;
    private readonly IAnsiConsole _out;
    private readonly IAnsiConsole _err;

    /// <param name="json">--json: results as JSON documents on stdout.</param>
    /// <param name="verbose">--verbose: stack traces of internal errors, debug logs.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where progress, notes and errors go.</param>
    /// <param name="stdoutIsTerminal">Whether stdout is a terminal (colour, its width); otherwise plain text, 160 columns.</param>
    /// <param name="stderrIsTerminal">Whether stderr is a terminal: colour, and live progress bars that redraw.</param>
    public CommandOutput(bool json, bool verbose, TextWriter stdout, TextWriter stderr, bool stdoutIsTerminal, bool stderrIsTerminal)
    {
        IsJson = json;
        IsVerbose = verbose;
        StderrIsTerminal = stderrIsTerminal;
        _stdout = stdout;
        ErrorWriter = stderr;
        _out = Create(stdout, stdoutIsTerminal);
        _err = Create(stderr, stderrIsTerminal);
    }

    private static IAnsiConsole Create(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
        });
        // Piped output has no terminal width; do not wrap tables at 80 columns then.
        if (!terminal) console.Profile.Width = 160;
        return console;
    }

    /// <summary>The process's own stdout and stderr, with the global options of <paramref name="parse"/>.</summary>
    public static CommandOutput For(ParseResult parse)
    {
        return new CommandOutput(parse.GetValue(Commands.GlobalOptions.Json), parse.GetValue(Commands.GlobalOptions.Verbose),
            Console.Out, Console.Error, stdoutIsTerminal: !Console.IsOutputRedirected, stderrIsTerminal: !Console.IsErrorRedirected);
    }

    public bool IsJson { get; }

    public bool IsVerbose { get; }

    /// <summary>stderr is a terminal: live progress displays may redraw there.</summary>
    public bool StderrIsTerminal { get; }

    /// <summary>stderr, for live progress displays (stdout stays for the result).</summary>
    public IAnsiConsole Stderr => _err;

    /// <summary>stderr as plain text, for writers outside the CLI (the development-only console channel).</summary>
    public TextWriter ErrorWriter { get; }

    public IProgress<string> Progress => new ProgressToStderr(this);

    /// <summary>Lines on stderr go out as they are (never wrapped, no colour) unless stderr is a terminal; an error also
    /// under --json, where a script reads it.</summary>
    private bool PlainStderr => !StderrIsTerminal;

    public void Info(string message)
    {
        if (PlainStderr) ErrorWriter.WriteLine(message);
        else _err.MarkupLineInterpolated($"[grey]{message}[/]");
    }

    public void Success(string message)
    {
        if (!IsJson) _out.MarkupLineInterpolated($"[green]✓[/] {message}");
        else Info(message);
    }

    public void Error(string message)
    {
        if (PlainStderr || IsJson) ErrorWriter.WriteLine($"error: {message}");
        else _err.MarkupLineInterpolated($"[red]error:[/] {message}");
    }

    /// <summary>A log line of warning level or above, on stderr.</summary>
    public void Warn(string message)
    {
        if (PlainStderr) ErrorWriter.WriteLine(message);
        else _err.MarkupLineInterpolated($"[yellow]{message}[/]");
    }

    /// <summary>An ILogger whose lines come out here (stderr), for the engine and the library.</summary>
    public Microsoft.Extensions.Logging.ILogger Logger(string category) => new CommandOutputLogger(this, category);

    /// <summary>Plain text on stderr, unformatted (a stack trace).</summary>
    public void Detail(string text) => ErrorWriter.WriteLine(text);

    public void Write(IRenderable renderable)
    {
        if (!IsJson) _out.Write(renderable);
    }

    /// <summary>A document already rendered (a lint report as text, JSON, GitHub annotations or SARIF), as is.</summary>
    public void WriteText(string text) => _stdout.Write(text);

    public void WriteJson<T>(T value) => _stdout.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    private sealed class ProgressToStderr(CommandOutput output) : IProgress<string>
    {
        public void Report(string value) => output.Info(value);
    }

    private sealed class TimeSpanMillisecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromMilliseconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(Math.Round(value.TotalMilliseconds, 1));
    }
}
