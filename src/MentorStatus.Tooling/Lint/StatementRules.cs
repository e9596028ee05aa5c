using System.Text;
using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Tooling.Lint;

/// <summary>
/// Hazards told by the statement itself, checked against the replay where it matters (the statement ran, the table existed):
/// MS027 DETACH PARTITION without CONCURRENTLY on an existing partitioned table, MS028 REPLICA IDENTITY FULL, MS029 every trigger
/// disabled (DISABLE TRIGGER ALL, session_replication_role), MS030 a domain constraint validated against the columns of existing
/// tables, MS031 an identifier longer than 63 bytes. Literals and function bodies are removed before matching.
/// </summary>
internal sealed partial class StatementRules : ILintRuleFamily
{
    private const string Name = @"(?:""(?:[^""]|"""")+""|[a-z_][a-z0-9_$]*)(?:\.(?:""(?:[^""]|"""")+""|[a-z_][a-z0-9_$]*))?";

    [GeneratedRegex(@"\$([a-z0-9_]*)\$.*?\$\1\$|'(?:[^']|'')*'", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex QuotedText();

    [GeneratedRegex($@"^alter table (?:if exists )?(?:only )?(?<table>{Name}) detach partition (?<partition>{Name})(?<rest>.*)$")]
    private static partial Regex DetachPartition();

    [GeneratedRegex($@"^alter table (?:if exists )?(?:only )?(?<table>{Name}).*\breplica identity full\b")]
    private static partial Regex ReplicaIdentityFull();

    [GeneratedRegex($@"^alter table (?:if exists )?(?:only )?(?<table>{Name}).*\bdisable trigger all\b")]
    private static partial Regex DisableTriggerAll();

    [GeneratedRegex(@"^set (?:session |local )?session_replication_role ?(?:=|to) ?(?<value>.+)$")]
    private static partial Regex SessionReplicationRole();

    // The same setting through the function form (pg_dump-style scripts and hand-written helpers use it).
    [GeneratedRegex(@"\bset_config\s*\(\s*'session_replication_role'\s*,\s*'(?<value>[^']*)'")]
    private static partial Regex SetConfigReplicationRole();

    [GeneratedRegex($@"^alter domain (?<domain>{Name}) (?:add (?:constraint (?:""[^""]+""|[a-z_][a-z0-9_$]*) )?(?<kind>check|not null)\b(?<rest>.*)|(?<kind>set not null))$")]
    private static partial Regex DomainConstraint();

    [GeneratedRegex(@"""(?:[^""]|"""")+""|[a-z_][a-z0-9_$]*")]
    private static partial Regex Identifier();

    public IEnumerable<LintFinding> Check(MigrationTrace trace)
    {
        var file = trace.Migration.DisplayPath;
        foreach (var step in trace.Steps.Where(s => s.Error is null && !s.IsTransactionControl))
        {
            var statement = step.Statement;
            var text = QuotedText().Replace(statement.Normalized, "''");

            if (DetachPartition().Match(text) is { Success: true } detach && !Regex.IsMatch(detach.Groups["rest"].Value, @"\b(concurrently|finalize)\b")
                && (!step.Traced || step.NewLocks.Any(l => l.IsAccessExclusive && step.Before!.Relations.TryGetValue(l.Relation, out var r) && r.Kind == 'p')))
                yield return LintFinding.For(LintRules.DetachPartitionWithoutConcurrently, file, statement,
                    $"partition {Unquote(detach.Groups["partition"].Value)} is detached from {Unquote(detach.Groups["table"].Value)} without CONCURRENTLY: " +
                    "ACCESS EXCLUSIVE on the partitioned table, every read and write of every partition waits");

            if (ReplicaIdentityFull().Match(text) is { Success: true } identity)
                yield return LintFinding.For(LintRules.ReplicaIdentityFull, file, statement,
                    $"{Unquote(identity.Groups["table"].Value)} gets REPLICA IDENTITY FULL: every UPDATE and DELETE on it writes the whole old row to the WAL from now on");

            if (DisableTriggerAll().Match(text) is { Success: true } disable)
                yield return LintFinding.For(LintRules.TriggersDisabled, file, statement,
                    $"every trigger of {Unquote(disable.Groups["table"].Value)} is disabled, the internal foreign-key triggers included: " +
                    "rows written while they are off are never checked, and it needs superuser rights (not the postgres role of a hosted Supabase project)");

            if ((SessionReplicationRole().Match(statement.Normalized) is { Success: true } role ? role : SetConfigReplicationRole().Match(statement.Normalized)) is { Success: true } setting
                && setting.Groups["value"].Value.Trim().Trim('\'', '"') is not ("origin" or "default"))
                yield return LintFinding.For(LintRules.TriggersDisabled, file, statement,
                    "session_replication_role set away from origin: every trigger and foreign-key check of the session is off for the rest of the file " +
                    "(and of the session, for `set` without `local`); it needs superuser rights");

            if (DomainConstraint().Match(text) is { Success: true } domain && !Regex.IsMatch(domain.Groups["rest"].Value, @"\bnot valid$")
                && step.Before is { } before && UsedBy(trace, before, Unquote(domain.Groups["domain"].Value)) is { Count: > 0 } columns)
                yield return LintFinding.For(LintRules.DomainConstraintValidated, file, statement,
                    $"domain {Unquote(domain.Groups["domain"].Value)} gets a {(domain.Groups["kind"].Value.EndsWith("not null", StringComparison.Ordinal) ? "NOT NULL" : "CHECK")} " +
                    $"constraint validated against every value of {string.Join(", ", columns.Take(5))}{(columns.Count > 5 ? $" and {columns.Count - 5} more" : "")}, " +
                    "existing columns, while writes to their tables wait",
                    fix: domain.Groups["kind"].Value.StartsWith("set", StringComparison.Ordinal)
                        ? "Add `check (value is not null) not valid` instead, validate it in a later migration at a quiet time, then SET NOT NULL."
                        : null);
        }

        // Names are truncated by the parser, before anything runs: every statement counts, failed or not.
        foreach (var statement in trace.Migration.Statements)
        {
            var text = QuotedText().Replace(statement.Normalized, "''");
            foreach (var name in Identifier().Matches(text).Select(m => Unquote(m.Value)).Distinct(StringComparer.Ordinal))
            {
                var bytes = Encoding.UTF8.GetByteCount(name);
                if (bytes <= 63) continue;
                yield return LintFinding.For(LintRules.IdentifierTooLong, file, statement,
                    $"identifier {name} is {bytes} bytes: PostgreSQL truncates it to {Truncate(name)} without an error");
            }
        }
    }

    /// <summary>Columns of tables that existed before the migration whose type is <paramref name="domain"/> (or an array of it).</summary>
    private static List<string> UsedBy(MigrationTrace trace, CatalogState state, string domain)
    {
        var bare = domain[(domain.LastIndexOf('.') + 1)..];
        return state.Columns.Values
            .Where(c => trace.Existed(c.Table) && state.Relations.TryGetValue(c.Table, out var r) && r.Kind is 'r' or 'p')
            .Where(c => c.Type.TrimEnd('[', ']') is var type && (type == domain || type == bare || type.EndsWith("." + bare, StringComparison.Ordinal)))
            .Select(c => $"{state.NameOf(c.Table)}.{c.Name}").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The name as PostgreSQL keeps it: the first 63 bytes, never splitting a UTF-8 character.</summary>
    private static string Truncate(string name)
    {
        var length = name.Length;
        while (Encoding.UTF8.GetByteCount(name.AsSpan(0, length)) > 63) length--;
        return name[..length];
    }

    private static string Unquote(string name) =>
        string.Join('.', Regex.Matches(name, @"""(?:[^""]|"""")+""|[^.""]+").Select(m => m.Value.StartsWith('"') ? m.Value[1..^1].Replace("\"\"", "\"") : m.Value));
}
