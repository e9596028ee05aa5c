using System.CommandLine;
using MentorStatus.Cli.Commands;

// mentorstatus: the Supabase CLI's db verbs for this project, plus the mentor-status tools.
var root = new RootCommand(
    "MentorStatus: migrations, local PostgreSQL and tools for peer-mentor status on Supabase.\n" +
    "Without --db-url every command works on the project's own local PostgreSQL 15 (started on demand).");
foreach (var option in GlobalOptions.All) root.Options.Add(option);
root.Subcommands.Add(DbCommands.Build());
root.Subcommands.Add(JobCommands.Build());
root.Subcommands.Add(NotificationCommands.Build());
root.Subcommands.Add(MentorCommands.Build());

var parsed = root.Parse(args);
// Ctrl+C cancels the verb; give it time to clean up (db rehearse stops and deletes its throwaway cluster)
// instead of System.CommandLine's default of 2 seconds before it ends the process anyway.
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
// A command line that does not parse (unknown option, bad --format value) is a usage error: exit 2, like UsageException.
return parsed.Errors.Count > 0 ? 2 : exitCode;
