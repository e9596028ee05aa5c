using System.Text;
using System.Text.RegularExpressions;
using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS031 <c>identifier_too_long</c> (error). Its page: docs/rules/MS031.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS031/.</summary>
    public static readonly LintRule IdentifierTooLong = new("MS031", RuleLevel.Error,
        "identifier longer than 63 bytes",
        "PostgreSQL silently truncates names to 63 bytes (NOTICE only): the object gets a name the file does not say, code and PostgREST clients that " +
        "use the written name do not find it, and two long names that share their first 63 bytes collide.",
        "Use a name of at most 63 bytes.")
    {
        Name = "identifier_too_long",
        Counterparts = "squawk: identifier-too-long",
    };

    /// <summary>
    /// MS031 from the statement text, for every statement of the file (names are truncated by the parser, before anything runs:
    /// failed statements count too): an identifier, plain or quoted, of more than 63 UTF-8 bytes.
    /// </summary>
    internal sealed partial class IdentifierTooLongCheck : LintCheck
    {
        [GeneratedRegex(@"""(?:[^""]|"""")+""|[a-z_][a-z0-9_$]*")]
        private static partial Regex Identifier();

        public override IEnumerable<LintFinding> CheckFile(MigrationTrace trace)
        {
            foreach (var statement in trace.Migration.Statements)
            {
                var text = StatementText.WithoutLiterals(statement.Normalized);
                foreach (var name in Identifier().Matches(text).Select(m => StatementText.Unquote(m.Value)).Distinct(StringComparer.Ordinal))
                {
                    var bytes = Encoding.UTF8.GetByteCount(name);
                    if (bytes <= 63) continue;
                    yield return LintFinding.For(IdentifierTooLong, trace.Migration.DisplayPath, statement,
                        $"identifier {name} is {bytes} bytes: PostgreSQL truncates it to {Truncate(name)} without an error");
                }
            }
        }

        /// <summary>The name as PostgreSQL keeps it: the first 63 bytes, never splitting a UTF-8 character.</summary>
        private static string Truncate(string name)
        {
            var length = name.Length;
            while (Encoding.UTF8.GetByteCount(name.AsSpan(0, length)) > 63) length--;
            return name[..length];
        }
    }
}
