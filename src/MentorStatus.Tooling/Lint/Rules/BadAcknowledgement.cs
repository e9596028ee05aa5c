using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

public static partial class LintRules
{
    /// <summary>MS017 <c>bad_acknowledgement</c> (error). Its page: docs/rules/MS017.md; its cases: tests/MentorStatus.Tests/Lint/Corpus/MS017/.</summary>
    public static readonly LintRule BadAcknowledgement = new("MS017", RuleLevel.Error,
        "`-- lint: ignore` without a reason or with an unknown rule",
        "An acknowledgement without a reason hides a finding without telling the next reader why that is safe.",
        "Write `-- lint: ignore MSnnn because <why this is safe here>` on the line before the statement, with one of the rules listed in the finding.")
    {
        Name = "bad_acknowledgement",
    };

    /// <summary>
    /// MS017, asked by <see cref="LintAcknowledgements"/> for each <c>-- lint: ignore</c> line it reads: one that names no rule, a
    /// rule the lint does not have, or gives no reason after <c>because</c>. Null when the acknowledgement is sound.
    /// </summary>
    internal static class BadAcknowledgementCheck
    {
        public static LintFinding? Check(string file, int line, string text, IgnoreDirective directive)
        {
            var unknown = directive.Ids.Where(id => Find(id) is null).ToList();
            if (directive.Ids.Count > 0 && unknown.Count == 0 && directive.Reason.Length > 0) return null;
            return new LintFinding
            {
                Rule = BadAcknowledgement, File = file, Line = line, Statement = LintFinding.Shorten(text.Trim()),
                Message = unknown.Count > 0 ? $"unknown rule {string.Join(", ", unknown)}; the rules are {string.Join(", ", All.Select(r => r.Id))}"
                    : directive.Ids.Count == 0 ? "no rule id after `lint: ignore`"
                    : "no reason: say why the finding is safe here, after `because`",
            };
        }
    }
}
