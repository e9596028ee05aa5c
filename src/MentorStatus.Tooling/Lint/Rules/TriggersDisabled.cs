using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS029 <c>triggers_disabled</c> (error). Its page: docs/rules/MS029.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS029/.</summary>
    public static readonly LintRule TriggersDisabled = new("MS029", RuleLevel.Error,
        "all triggers disabled (DISABLE TRIGGER ALL, session_replication_role)",
        "`disable trigger all` and `session_replication_role = replica` also switch off the internal triggers that enforce foreign keys, " +
        "and the audit, append-only and updated_at triggers: rows written meanwhile are never checked. Both need superuser rights, which " +
        "the postgres role of a hosted Supabase project does not have, so the migration fails there.",
        "Disable only the trigger you mean, by name (`alter table … disable trigger name`), and enable it again in the same file; " +
        "or do the data change without it (e.g. write the rows the trigger expects).")
    {
        Name = "triggers_disabled",
        Counterparts = "squawk: ban-disable-trigger (any trigger)",
    };

    /// <summary>
    /// MS029 from the statement text: <c>disable trigger all</c>, or session_replication_role set away from origin, by SET or
    /// through <c>set_config()</c> (pg_dump-style scripts and hand-written helpers use the function form).
    /// </summary>
    internal sealed partial class TriggersDisabledCheck : LintCheck
    {
        [GeneratedRegex($@"^alter table (?:if exists )?(?:only )?(?<table>{StatementText.Name}).*\bdisable trigger all\b")]
        private static partial Regex DisableTriggerAll();

        [GeneratedRegex(@"^set (?:session |local )?session_replication_role ?(?:=|to) ?(?<value>.+)$")]
        private static partial Regex SessionReplicationRole();

        // The same setting through the function form (pg_dump-style scripts and hand-written helpers use it).
        [GeneratedRegex(@"\bset_config\s*\(\s*'session_replication_role'\s*,\s*'(?<value>[^']*)'")]
        private static partial Regex SetConfigReplicationRole();

        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!StatementText.Checked(step)) yield break;
            var statement = step.Statement;
            var file = trace.Migration.DisplayPath;
            if (DisableTriggerAll().Match(StatementText.WithoutLiterals(statement.Normalized)) is { Success: true } disable)
                yield return LintFinding.For(TriggersDisabled, file, statement,
                    $"every trigger of {StatementText.Unquote(disable.Groups["table"].Value)} is disabled, the internal foreign-key triggers included: " +
                    "rows written while they are off are never checked, and it needs superuser rights (not the postgres role of a hosted Supabase project)");

            if ((SessionReplicationRole().Match(statement.Normalized) is { Success: true } role ? role : SetConfigReplicationRole().Match(statement.Normalized)) is { Success: true } setting
                && setting.Groups["value"].Value.Trim().Trim('\'', '"') is not ("origin" or "default"))
                yield return LintFinding.For(TriggersDisabled, file, statement,
                    "session_replication_role set away from origin: every trigger and foreign-key check of the session is off for the rest of the file " +
                    "(and of the session, for `set` without `local`); it needs superuser rights");
        }
    }
}
