using MentorStatus.Cli.Commands;

// mentorstatus: the Supabase CLI's db verbs for this project, plus the mentor-status tools.
// First of all, before Console is touched: a SIGINT inherited as ignored (a background job of a script or CI)
// would leave Ctrl+C handling dead (see InterruptSignal).
MentorStatus.Database.Local.InterruptSignal.RestoreIfIgnored();
var parsed = CliCommands.Build().Parse(args);
// Ctrl+C cancels the verb; give it time to clean up (db rehearse stops and deletes its throwaway cluster)
// instead of System.CommandLine's default of 2 seconds before it ends the process anyway.
var exitCode = await parsed.InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
// A command line that does not parse (unknown option, bad --format value) is a usage error: exit 2, like UsageException.
return parsed.Errors.Count > 0 ? CommandAction.Usage : exitCode;
