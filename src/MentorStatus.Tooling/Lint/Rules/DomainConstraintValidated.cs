using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS030 <c>domain_constraint_validated</c> (error). Its page: docs/rules/MS030.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS030/.</summary>
    public static readonly LintRule DomainConstraintValidated = new("MS030", RuleLevel.Error,
        "domain constraint added and validated against existing rows",
        "`alter domain … add constraint` (or `set not null`) checks every value of every column of that type in every table, " +
        "holding a lock that blocks writes to those tables for the whole scan.",
        "`alter domain … add constraint … check (…) not valid` (instant; enforced for new values), then `alter domain … validate constraint …` " +
        "in a later migration at a quiet time (in PostgreSQL 15 the validation still blocks writes to those tables while it scans; 17 lets them through).")
    {
        Name = "domain_constraint_validated",
        Counterparts = "squawk: ban-alter-domain-with-add-constraint",
    };

    /// <summary>
    /// MS030 from the statement text, checked on the replay: <c>alter domain … add constraint</c> (not NOT VALID) or
    /// <c>set not null</c> of a domain that columns of existing tables use.
    /// </summary>
    internal sealed partial class DomainConstraintValidatedCheck : LintCheck
    {
        [GeneratedRegex($@"^alter domain (?<domain>{StatementText.Name}) (?:add (?:constraint (?:""[^""]+""|[a-z_][a-z0-9_$]*) )?(?<kind>check|not null)\b(?<rest>.*)|(?<kind>set not null))$")]
        private static partial Regex DomainConstraint();

        public override IEnumerable<LintFinding> CheckStep(MigrationTrace trace, TraceStep step)
        {
            if (!StatementText.Checked(step)) yield break;
            if (DomainConstraint().Match(StatementText.WithoutLiterals(step.Statement.Normalized)) is { Success: true } domain && !Regex.IsMatch(domain.Groups["rest"].Value, @"\bnot valid$")
                && step.Before is { } before && UsedBy(trace, before, StatementText.Unquote(domain.Groups["domain"].Value)) is { Count: > 0 } columns)
                yield return LintFinding.For(DomainConstraintValidated, trace.Migration.DisplayPath, step.Statement,
                    $"domain {StatementText.Unquote(domain.Groups["domain"].Value)} gets a {(domain.Groups["kind"].Value.EndsWith("not null", StringComparison.Ordinal) ? "NOT NULL" : "CHECK")} " +
                    $"constraint validated against every value of {string.Join(", ", columns.Take(5))}{(columns.Count > 5 ? $" and {columns.Count - 5} more" : "")}, " +
                    "existing columns, while writes to their tables wait",
                    fix: domain.Groups["kind"].Value.StartsWith("set", StringComparison.Ordinal)
                        ? "Add `check (value is not null) not valid` instead, validate it in a later migration at a quiet time, then SET NOT NULL."
                        : null);
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
    }
}
