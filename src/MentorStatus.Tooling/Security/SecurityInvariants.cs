using MentorStatus.Database;
using MentorStatus.Tooling.Rules;
using Npgsql;

namespace MentorStatus.Tooling.Security;

/// <summary>What <c>db security</c> found: every finding (INFO included); <see cref="Failed"/> when one fails.</summary>
public sealed record SecurityReport(IReadOnlyList<SecurityFinding> Findings)
{
    /// <summary>The level from which an unacknowledged finding fails the check (<c>--fail-on</c>); splinter's WARN unless chosen otherwise.</summary>
    public RuleLevel FailOn { get; init; } = RuleLevels.SecurityDefaultFailOn;
    public bool Fails(SecurityFinding finding) => finding.FailsAt(FailOn);
    public IEnumerable<SecurityFinding> Failing => Findings.Where(Fails);
    public bool Failed => Findings.Any(Fails);
}

/// <summary>
/// Runs <see cref="SecurityRules.All"/> against a database's catalog (<c>db security</c>). An object whose
/// COMMENT contains <c>security: ignore RULE_ID because REASON</c> has that finding acknowledged: it is
/// listed with its reason and does not fail the check (the syntax of <c>-- lint: ignore</c>: <see cref="IgnoreDirectives"/>).
/// </summary>
public static class SecurityInvariants
{
    public static async Task<SecurityReport> CheckAsync(
        NpgsqlDataSource dataSource, SecurityScope? scope = null, IReadOnlyList<SecurityRule>? rules = null, CancellationToken ct = default)
    {
        scope ??= SecurityScope.Default;
        rules ??= SecurityRules.All;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Deterministic names in the output, whatever the connection's search_path; read only.
        await SqlCommands.ExecuteAsync(connection, "set local search_path = pg_catalog; set local transaction read only", ct);

        var findings = new List<SecurityFinding>();
        foreach (var rule in rules)
        {
            await using var command = new NpgsqlCommand($"select object, detail, comment, subject from ({rule.Query}) as f order by 1, 2", connection);
            command.Parameters.AddWithValue("exposed", scope.ExposedSchemas.ToArray());
            command.Parameters.AddWithValue("platform", scope.PlatformSchemas.ToArray());
            command.Parameters.AddWithValue("api_roles", scope.ApiRoles.ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var subject = reader.IsDBNull(3) ? "" : reader.GetString(3);
                if (rule.Matches is { } matches && !matches(subject)) continue;
                var comment = reader.IsDBNull(2) ? null : reader.GetString(2);
                findings.Add(new SecurityFinding(rule.Id, rule.Level, reader.GetString(0), reader.GetString(1), rule.Fix, AcknowledgedReason(comment, rule)));
            }
        }
        await tx.RollbackAsync(ct);
        return new SecurityReport(findings);
    }

    /// <summary>The failing findings as "rule: detail" lines; empty when every rule holds.</summary>
    public static async Task<IReadOnlyList<string>> FindViolationsAsync(
        NpgsqlDataSource dataSource, SecurityScope? scope = null, CancellationToken ct = default) =>
        (await CheckAsync(dataSource, scope, ct: ct)).Failing.Select(f => f.ToString()).ToList();

    /// <summary>The reason given in the object's comment for ignoring <paramref name="rule"/> (by its name or its code), if any.</summary>
    public static string? AcknowledgedReason(string? comment, SecurityRule rule) =>
        comment is null ? null : IgnoreDirectives.Find(comment, IgnoreDirectives.SecurityMarker)
            .FirstOrDefault(d => d.IsComplete && (d.Names(rule.Id) || (rule.Code.Length > 0 && d.Names(rule.Code))))?.Reason;

    /// <summary>The reason given in the object's comment for ignoring <paramref name="ruleId"/>, if any.</summary>
    public static string? AcknowledgedReason(string? comment, string ruleId) =>
        comment is null ? null : IgnoreDirectives.Find(comment, IgnoreDirectives.SecurityMarker)
            .FirstOrDefault(d => d.IsComplete && d.Names(ruleId))?.Reason;
}
