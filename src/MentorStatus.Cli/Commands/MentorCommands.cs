using System.CommandLine;
using Spectre.Console;

namespace MentorStatus.Cli.Commands;

/// <summary>`mentor timeline` and `mentor status`: read and change one mentor's status.</summary>
internal static class MentorCommands
{
    private static readonly Option<string?> AsUser = new("--as-user")
    {
        Description = "Act as this signed-in user (auth.users id) through row-level security, as the app would. " +
                      "Default: the trusted service (reads everything; changes only with system reason codes).",
    };

    public static Command Build()
    {
        var mentor = new Command("mentor", CliCommands.Describe(
            "Read and change a peer mentor's status.",
            "mentorstatus mentor timeline 00000000-0000-4000-a004-000000000003"));
        mentor.Subcommands.Add(Timeline());
        mentor.Subcommands.Add(Status());
        mentor.Subcommands.Add(Allowed());
        return mentor;
    }

    private static Caller CallerOf(ParseResult parse) =>
        parse.GetValue(AsUser) is { } text
            ? Guid.TryParse(text, out var user) ? Caller.User(user) : throw new UsageException($"--as-user \"{text}\" is not a uuid.")
            : Caller.Service;

    private static Guid MentorId(string text) =>
        Guid.TryParse(text, out var id) ? id : throw new UsageException($"mentor id \"{text}\" is not a uuid.");

    private static Command Timeline()
    {
        var id = new Argument<string>("mentor-id") { Description = "The mentor (peer_mentors.id)." };
        var limit = new Option<int>("--limit") { Description = "Records per page (1-1000).", DefaultValueFactory = _ => 20 };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the page that printed this cursor." };
        var command = new Command("timeline", CliCommands.Describe(
            "A mentor's status history, newest first, one page at a time.",
            "mentorstatus mentor timeline 00000000-0000-4000-a004-000000000003 --limit 10",
            "mentorstatus mentor timeline 00000000-0000-4000-a004-000000000003 --cursor <next_cursor of the last page> --json"))
        { Arguments = { id }, Options = { limit, cursor, AsUser } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var mentorId = MentorId(parse.GetValue(id)!);
            if (parse.GetValue(limit) is < 1 or > 1000) throw new UsageException($"--limit must be from 1 to 1000 (got {parse.GetValue(limit)}).");
            await using var dataSource = await JobCommands.DataSourceAsync(parse, output, ct);
            TimelinePage page;
            try
            {
                page = await new MentorStatusRepository(dataSource).GetTimelineAsync(CallerOf(parse), mentorId, parse.GetValue(limit), parse.GetValue(cursor), ct);
            }
            catch (ArgumentException e) when (e.ParamName == "cursor")
            {
                throw new UsageException($"--cursor \"{parse.GetValue(cursor)}\" is not one this program handed out; start again without --cursor.");
            }
            if (output.IsJson) { output.WriteJson(page); return CommandAction.Ok; }
            var table = new Table().Title($"timeline of {mentorId}").Border(TableBorder.Rounded)
                .AddColumns("changed at", "from", "to", "reason", "by", "job run");
            foreach (var c in page.Items)
                table.AddRow(c.ChangedAt.ToString("u"), c.PreviousStatus?.ToString().ToLowerInvariant() ?? "[grey]—[/]",
                    $"[bold]{c.NewStatus.ToString().ToLowerInvariant()}[/]", Markup.Escape(c.Reason ?? ""),
                    c.ChangedBy?.ToString() ?? "[grey]system[/]", c.JobRunId?.ToString() ?? "");
            output.Write(table);
            if (page.Items.Count == 0) output.Info("no records (the mentor does not exist or is not visible to this caller)");
            if (page.NextCursor is { } next) output.Info($"more: --cursor {next}");
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Allowed()
    {
        var id = new Argument<string>("mentor-id") { Description = "The mentor (peer_mentors.id)." };
        var command = new Command("allowed",
            "What a signed-in user may do to this mentor now (public.allowed_status_changes): the reason codes the rules " +
            "allow for the mentor's status, the cause of the pause and the user's relation to the mentor. Empty for a mentor " +
            "the user may not see.\n\nExamples:\n  mentorstatus mentor allowed 00000000-0000-4000-a004-000000000003 --as-user 00000000-0000-4000-a003-000000000002 --json")
        { Arguments = { id }, Options = { AsUser } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var mentorId = MentorId(parse.GetValue(id)!);
            if (CallerOf(parse) is not Caller.UserCaller user)
                throw new UsageException("--as-user is required: what may be done depends on who asks (the service uses system codes only).");
            await using var dataSource = await JobCommands.DataSourceAsync(parse, output, ct);
            var allowed = await new MentorStatusRepository(dataSource).GetAllowedStatusChangesAsync(user, mentorId, ct);
            if (output.IsJson) { output.WriteJson(allowed); return CommandAction.Ok; }
            var table = new Table().Title($"{user.UserId} may change {mentorId}").Border(TableBorder.Rounded)
                .AddColumns("reason", "to", "what it means");
            foreach (var a in allowed)
                table.AddRow(Markup.Escape(a.ReasonCode), $"[bold]{a.NewStatus.ToString().ToLowerInvariant()}[/]", Markup.Escape(a.Description));
            output.Write(table);
            if (allowed.Count == 0) output.Info("nothing (the mentor does not exist, is not visible to this user, or the rules allow this user nothing now)");
            return CommandAction.Ok;
        });
        return command;
    }

    private static Command Status()
    {
        var id = new Argument<string>("mentor-id") { Description = "The mentor (peer_mentors.id)." };
        var status = new Argument<MentorState>("new-status") { Description = "active, paused or inactive.", HelpName = "active|paused|inactive" };
        var reason = new Option<string>("--reason")
        {
            Description = $"A reason code: {string.Join(", ", ReasonCodes.All)}. Mentors use self_*, coordinators coordinator_*, the service system codes.",
            Required = true,
        };
        var command = new Command("status",
            "Change a mentor's status (and append the history record) through the database's one sanctioned path. " +
            "Who paused decides who may resume (public.mentor_status_rules): a refusal says who may do it instead; " +
            "`mentor allowed` lists what a user may do now.\n\nExamples:\n" +
            "  mentorstatus mentor status 00000000-0000-4000-a004-000000000003 active --reason self_resume --as-user 00000000-0000-4000-a003-000000000013\n" +
            "  mentorstatus mentor status 00000000-0000-4000-a004-000000000003 paused --reason certification_expired --json")
        { Arguments = { id, status }, Options = { reason, AsUser } };
        CommandAction.Set(command, async (parse, output, ct) =>
        {
            var mentorId = MentorId(parse.GetValue(id)!);
            if (string.IsNullOrWhiteSpace(parse.GetValue(reason))) throw new UsageException($"--reason needs a reason code: {string.Join(", ", ReasonCodes.All)}.");
            await using var dataSource = await JobCommands.DataSourceAsync(parse, output, ct);
            var change = await new MentorStatusRepository(dataSource)
                .ChangeStatusAsync(CallerOf(parse), mentorId, parse.GetValue(status), parse.GetValue(reason)!, ct);
            if (output.IsJson) output.WriteJson(change);
            else output.Success($"{mentorId}: {change.PreviousStatus?.ToString().ToLowerInvariant() ?? "—"} → {change.NewStatus.ToString().ToLowerInvariant()} ({change.Reason}) at {change.ChangedAt:u}");
            return CommandAction.Ok;
        });
        return command;
    }
}
