using MentorStatus.Cli.Commands;

// mentorstatus: the Supabase CLI's db verbs for this project, plus the mentor-status tools.
// First of all, before Console is touched: a SIGINT inherited as ignored (a background job of a script or CI)
// would leave Ctrl+C handling dead (see InterruptSignal).
MentorStatus.Tooling.Local.InterruptSignal.RestoreIfIgnored();
var parsed = CliCommands.Build().Parse(args);
// A command line that does not parse (unknown option, bad --format value) is a usage error: exit 2, like UsageException,
// told in a line or two on stderr with where to read more, not the whole help on stdout.
if (parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    Console.Error.Write(ParseErrors.Describe(parsed));
    return CommandAction.Usage;
}
// Ctrl+C cancels the verb; give it time to clean up (db rehearse stops and deletes its throwaway cluster)
// instead of System.CommandLine's default of 2 seconds before it ends the process anyway.
return await parsed.InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
