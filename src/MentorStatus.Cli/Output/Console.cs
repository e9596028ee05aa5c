using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MentorStatus.Cli.Output;

/// <summary>
/// Where a command writes: tables and colour for people, or JSON on stdout for scripts (--json).
/// Progress and notes go to stderr, so stdout stays parseable.
/// </summary>
internal sealed class Console
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new TimeSpanMillisecondsConverter() },
    };

    private readonly TextWriter _stdout = System.Console.Out;
    private readonly IAnsiConsole _out = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
    private readonly IAnsiConsole _err = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });

    public Console(ParseResult parse)
    {
        IsJson = parse.GetValue(Commands.GlobalOptions.Json);
        // Piped output has no terminal width; do not wrap tables at 80 columns then.
        if (System.Console.IsOutputRedirected) _out.Profile.Width = 160;
        if (System.Console.IsErrorRedirected) _err.Profile.Width = 160;
    }

    public bool IsJson { get; }

    /// <summary>stderr, for live progress displays (stdout stays for the result).</summary>
    public IAnsiConsole Stderr => _err;

    public IProgress<string> Progress => new ProgressToStderr(this);

    public void Info(string message) => _err.MarkupLineInterpolated($"[grey]{message}[/]");

    public void Success(string message)
    {
        if (!IsJson) _out.MarkupLineInterpolated($"[green]✓[/] {message}");
        else Info(message);
    }

    public void Error(string message) => _err.MarkupLineInterpolated($"[red]error:[/] {message}");

    public void Write(IRenderable renderable)
    {
        if (!IsJson) _out.Write(renderable);
    }

    public void WriteJson<T>(T value) => _stdout.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    private sealed class ProgressToStderr(Console console) : IProgress<string>
    {
        public void Report(string value) => console.Info(value);
    }

    private sealed class TimeSpanMillisecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromMilliseconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(Math.Round(value.TotalMilliseconds, 1));
    }
}
