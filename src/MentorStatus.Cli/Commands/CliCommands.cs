using System.CommandLine;

namespace MentorStatus.Cli.Commands;

/// <summary>The whole command tree of `mentorstatus`, and the help conventions every verb follows.</summary>
internal static class CliCommands
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "MentorStatus: migrations, local PostgreSQL and tools for peer-mentor status on Supabase.\n" +
            "Without MENTORSTATUS_DB_URL (or --db-url) every command works on the project's own local PostgreSQL 15 (started on demand).\n" +
            "Passwords go in environment variables or a passfile (PGPASSFILE), never on the command line, which every user can read (ps):\n" +
            "MENTORSTATUS_DB_URL, MENTORSTATUS_REHEARSE_FROM, MENTORSTATUS__NOTIFICATIONS__SMTP__PASSWORD and the like.\n\n" +
            "Exit codes: 0 ok; 1 the operation failed (a migration error, drift, a finding, a refusal by the database);\n" +
            "2 usage (bad options or arguments, missing configuration); 3 db rehearse only: a statement could not be measured;\n" +
            "70 internal error (a bug: rerun with --verbose for the stack trace and report it); 130 cancelled (Ctrl+C).\n\n" +
            "Examples:\n" +
            "  mentorstatus db reset\n" +
            "  mentorstatus db status --json\n" +
            "  MENTORSTATUS_DB_URL=\"$DATABASE_URL\" mentorstatus db up     # the URL in the environment, not in ps");
        foreach (var option in GlobalOptions.All) root.Options.Add(option);
        root.Subcommands.Add(DbCommands.Build());
        root.Subcommands.Add(JobCommands.Build());
        root.Subcommands.Add(NotificationCommands.Build());
        root.Subcommands.Add(MentorCommands.Build());
        return root;
    }

    /// <summary>A verb's description followed by its examples, as `--help` shows them.</summary>
    public static string Describe(string description, params string[] examples) =>
        description + "\n\nExamples:\n" + string.Join("\n", examples.Select(e => "  " + e));
}
