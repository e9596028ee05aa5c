using System.CommandLine;

namespace MentorStatus.Cli.Commands;

/// <summary>
/// What a command line that does not parse prints: its first errors (at most two), one a line, and where the verb's
/// help is, as git and the Supabase CLI do. Plain text: never wrapped, never coloured, so a script can read it.
/// </summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult parsed)
    {
        var lines = parsed.Errors.Select(e => e.Message.ReplaceLineEndings(" ").Trim()).Distinct().Take(2).Select(m => $"error: {m}");
        return string.Join("", lines.Select(l => l + "\n")) + $"see '{CommandPath(parsed.CommandResult.Command)} --help'\n";
    }

    /// <summary>"mentorstatus db reset": the root's name (the tool's), then each verb down to <paramref name="command"/>.</summary>
    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Add(c is RootCommand ? "mentorstatus" : c.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
