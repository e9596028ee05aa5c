using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

/// <summary>One rule of `db lint`: what it finds, why that hurts in production, and the fix.</summary>
/// <param name="Id">Its code, MS000–MS099 (<c>db security</c>'s rules are MS2nn): shown in findings.</param>
public sealed record LintRule(string Id, RuleLevel Level, string Title, string Why, string Fix)
{
    /// <summary>Its name (snake_case, unique among the rules of both tools); an ignore may give it instead of the code.</summary>
    public string Name { get; init; } = "";

    /// <summary>The rules of squawk, eugene and splinter that find the same or part of it ("" when none), for its page.</summary>
    public string Counterparts { get; init; } = "";

    /// <summary>Which findings of the rule take another level than <see cref="Level"/> (<see cref="LintFinding.LevelOverride"/>), when some do.</summary>
    public string? LevelNote { get; init; }
}

/// <summary>
/// The rules of <c>db lint</c>, by id: its half of the catalogue it shares with <c>db security</c>. Ids are stable: they appear
/// in `-- lint: ignore MSnnn because …` lines of migration files, so a rule is never renumbered, only retired. Each also has a
/// name, which an ignore may give instead (`-- lint: ignore dropped_object because …`). Each rule is one file under Rules/,
/// named after its name (Rules/IndexWithoutConcurrently.cs for index_without_concurrently): its code, name, level and text,
/// its check, and what its page, docs/rules/MSnnn.md, is made from.
/// </summary>
public static partial class LintRules
{
    private static IReadOnlyList<LintRule>? _all;
    private static IReadOnlyList<IReadOnlyList<LintCheck>>? _checks;

    /// <summary>Every rule, in code order; built on first use, after every part's fields are set.</summary>
    public static IReadOnlyList<LintRule> All => _all ??=
    [
        StatementFailed, IndexWithoutConcurrently, NotNullOnExistingTable, TableRewrite, ConstraintValidated,
        AccessExclusiveWithoutTimeout, StatementsAfterAccessExclusive, DroppedObject, RenamedObject, NonTransactionalNotAlone,
        ExposedWithoutRls, PolicyWithRlsOff, UnwrappedAuthFunction, SecurityDefinerSearchPath, AppendOnlyModified,
        MissingRollback, RollbackMismatch, BadAcknowledgement, NonIdempotentConcurrentIndex,
        ViewBypassesRls, PolicyOpensTable, DefinerFunctionCallableByApi, DefinerSearchPathWithoutPgTemp, ExtensionCreatedInPublic,
        DangerousGrantToApi, DestructiveDataStatement, TransactionControlInFile,
        DetachPartitionWithoutConcurrently, ReplicaIdentityFull, TriggersDisabled, DomainConstraintValidated, IdentifierTooLong,
    ];

    /// <summary>The rule with this code or name (either case), or null.</summary>
    public static LintRule? Find(string id) => All.FirstOrDefault(r =>
        string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Name, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>The roles through which the API reaches a table (MS020, MS024).</summary>
    internal static readonly string[] ApiRoles = ["anon", "authenticated", "public"];

    /// <summary>
    /// The checks run on each replayed migration, in groups (<see cref="LintCheck.Run"/>); the order of the groups and of the
    /// checks in them is the order of the findings in the JSON and SARIF reports. MS000 comes from the replay itself
    /// (<see cref="StatementFailedCheck"/>), MS015 and MS016 from the rollback check, MS017 from the acknowledgements.
    /// </summary>
    internal static IReadOnlyList<IReadOnlyList<LintCheck>> Checks => _checks ??=
    [
        // locks
        [new IndexWithoutConcurrentlyCheck(), new AccessExclusiveWithoutTimeoutCheck(), new StatementsAfterAccessExclusiveCheck()],
        // columns and rewrites
        [new NotNullOnExistingTableCheck(), new TableRewriteCheck()],
        [new ConstraintValidatedCheck()],
        [new DroppedObjectCheck(), new RenamedObjectCheck()],
        // statements that cannot run in a transaction, and transaction control
        [new NonTransactionalNotAloneCheck(), new NonIdempotentConcurrentIndexCheck(), new VacuumFullCheck(), new TransactionControlInFileCheck()],
        // exposure through tables, policies and definer functions (splinter's lints)
        [new ExposedWithoutRlsCheck(), new PolicyWithRlsOffCheck(), new UnwrappedAuthFunctionCheck(), new SecurityDefinerSearchPathCheck()],
        // exposure through views, policies, functions, extensions and grants
        [new ViewBypassesRlsCheck(), new PolicyOpensTableCheck(), new DefinerFunctionCallableByApiCheck(), new DefinerSearchPathWithoutPgTempCheck(),
         new ExtensionCreatedInPublicCheck(), new DefinerFunctionRecreatedCheck(), new DangerousGrantToApiCheck()],
        [new AppendOnlyModifiedCheck()],
        [new DestructiveDataStatementCheck()],
        // statements told by their text
        [new DetachPartitionWithoutConcurrentlyCheck(), new ReplicaIdentityFullCheck(), new TriggersDisabledCheck(), new DomainConstraintValidatedCheck(),
         new IdentifierTooLongCheck()],
    ];
}
