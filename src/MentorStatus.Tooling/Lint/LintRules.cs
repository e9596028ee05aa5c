using MentorStatus.Tooling.Rules;

namespace MentorStatus.Tooling.Lint;

/// <summary>One rule of `db lint`: what it finds, why that hurts in production, and the fix.</summary>
/// <param name="Id">Its code, MS000–MS099 (<c>db security</c>'s rules are MS2nn): shown in findings.</param>
public sealed record LintRule(string Id, RuleLevel Level, string Title, string Why, string Fix)
{
    /// <summary>Its name (snake_case, unique among the rules of both tools); an ignore may give it instead of the code.</summary>
    public string Name { get; init; } = "";
}

/// <summary>
/// Every rule, by id. Ids are stable: they appear in `-- lint: ignore MSnnn because …` lines of
/// migration files, so a rule is never renumbered, only retired. Each also has a name, which an ignore may give
/// instead (`-- lint: ignore dropped_object because …`): one scheme with <c>db security</c>'s rules.
/// </summary>
public static class LintRules
{
    public static readonly LintRule StatementFailed = new("MS000", RuleLevel.Error,
        "statement fails when the migration is replayed",
        "A migration that fails on a copy of the database as it stood before it will fail in production too.",
        "Fix the statement so the migration applies on top of every earlier migration.")
    { Name = "statement_failed" };

    public static readonly LintRule IndexWithoutConcurrently = new("MS001", RuleLevel.Error,
        "index built or dropped without CONCURRENTLY on an existing table",
        "CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits until the index is built. " +
        "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table: even reads wait, and queue behind any long query.",
        "Build it with `create index concurrently if not exists` (drop it with `drop index concurrently if exists`) in a migration file of its own " +
        "(it cannot run in a transaction). For a primary key or unique constraint: build the unique index concurrently, then " +
        "`alter table … add constraint … using index …`.")
    { Name = "index_without_concurrently" };

    public static readonly LintRule NotNullOnExistingTable = new("MS002", RuleLevel.Error,
        "NOT NULL column without default, or SET NOT NULL, on an existing table",
        "A new NOT NULL column without a default fails on a table with rows and breaks every insert that does not name it; " +
        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock.",
        "Add the column nullable (or with a constant default) and backfill. To forbid NULLs: `add constraint … check (col is not null) not valid`, " +
        "`validate constraint …` in a later statement, then SET NOT NULL (PostgreSQL 12+ uses the validated check and skips the scan).")
    { Name = "not_null_on_existing_table" };

    public static readonly LintRule TableRewrite = new("MS003", RuleLevel.Error,
        "existing table rewritten",
        "A column type change, a volatile default (random(), gen_random_uuid(), clock_timestamp() …) or a stored generated column on a new column, " +
        "CLUSTER and VACUUM FULL rewrite every row of the table and rebuild its indexes under an ACCESS EXCLUSIVE lock: reads and writes stop until it is done. " +
        "(Found by the relfilenode of the table and of each index, so a change that keeps the files, like varchar(n) to text, is not one.)",
        "Add a new column (nullable or with a constant default), backfill it in batches, switch readers over, then drop the old one. " +
        "For a volatile default: add the column without default, `alter column … set default …`, backfill existing rows in batches.")
    { Name = "table_rewrite" };

    public static readonly LintRule ConstraintValidated = new("MS004", RuleLevel.Error,
        "CHECK or FOREIGN KEY added VALID on an existing table",
        "Adding a valid CHECK or foreign key scans the whole table while holding a lock that blocks writes (a foreign key also locks the referenced table).",
        "Add it `not valid` (instant; enforced for new rows), then `alter table … validate constraint …` in a later transaction: validation takes only a SHARE UPDATE EXCLUSIVE lock.")
    { Name = "constraint_validated" };

    public static readonly LintRule AccessExclusiveWithoutTimeout = new("MS005", RuleLevel.Error,
        "lock that blocks writes (SHARE or stronger) taken on an existing table without lock_timeout",
        "While the statement waits for its lock (SHARE for CREATE INDEX, SHARE ROW EXCLUSIVE for a foreign key or trigger, EXCLUSIVE, " +
        "ACCESS EXCLUSIVE for most ALTER TABLE, DROP INDEX, LOCK TABLE) behind any long query, every other writer on the table " +
        "(every reader too, for ACCESS EXCLUSIVE) queues behind it: a short migration becomes an outage. An error for ACCESS EXCLUSIVE; a warning for " +
        "SHARE, SHARE ROW EXCLUSIVE and EXCLUSIVE, which let reads go on; nothing for a lock below ACCESS EXCLUSIVE on a materialized view, which only REFRESH writes.",
        "Start the file with `set lock_timeout = '5s';` (it is reset after the file), and retry the migration when it times out. " +
        "A project that deploys with `db up` (which sets a session lock_timeout) says so in supabase/lint.toml: `[lint] deploy = \"db up\"`; " +
        "without it the lint assumes `supabase db push`, which sets none.")
    { Name = "access_exclusive_without_timeout" };

    public static readonly LintRule StatementsAfterAccessExclusive = new("MS006", RuleLevel.Warning,
        "statements run after an ACCESS EXCLUSIVE lock was taken",
        "The lock is held until the transaction commits: every statement after it (index builds, data changes, function bodies) extends the time the table is unavailable.",
        "Move the statement that takes the ACCESS EXCLUSIVE lock to the end of the file, or into a migration of its own.")
    { Name = "statements_after_access_exclusive" };

    public static readonly LintRule DroppedObject = new("MS007", RuleLevel.Error,
        "column or table dropped",
        "The application version still running during and after the deploy reads and writes it: its queries fail, and the data is gone for good.",
        "Stop using it in the application first and deploy that; drop it in a later migration, acknowledged with `-- lint: ignore MS007 because …`.")
    { Name = "dropped_object" };

    public static readonly LintRule RenamedObject = new("MS008", RuleLevel.Error,
        "column or table renamed",
        "Every query and PostgREST client that uses the old name fails from the moment the migration commits.",
        "Add the new column (or a view with the new name), write both, move readers, then drop the old one in a later migration.")
    { Name = "renamed_object" };

    public static readonly LintRule NonTransactionalNotAlone = new("MS009", RuleLevel.Error,
        "non-transactional statement not alone in its file",
        "CREATE INDEX CONCURRENTLY, VACUUM and the like fail inside a transaction (SQLSTATE 25001); the runner and the Supabase CLI run a file as one transaction.",
        "Move the statement to a migration file of its own (`db new NAME`), as its only statement.")
    { Name = "non_transactional_not_alone" };

    public static readonly LintRule ExposedWithoutRls = new("MS010", RuleLevel.Error,
        "public table reachable by anon/authenticated with RLS disabled",
        "Supabase's default privileges grant ALL on every new table in public to anon and authenticated: without row-level security " +
        "every row can be read and written by anyone with the project's anon key, through PostgREST.",
        "`alter table … enable row level security;` in the same migration (no policy = deny), then add policies; " +
        "or `revoke all on table … from anon, authenticated;` for a table the API must not see.")
    { Name = "exposed_without_rls" };

    public static readonly LintRule PolicyWithRlsOff = new("MS011", RuleLevel.Error,
        "policy on a table with RLS disabled",
        "Policies do nothing while row-level security is off: the table is as open as its grants, and the policy only suggests it is protected.",
        "`alter table … enable row level security;`.")
    { Name = "policy_with_rls_off" };

    public static readonly LintRule UnwrappedAuthFunction = new("MS012", RuleLevel.Warning,
        "auth.uid() (or auth.jwt()/auth.role()) unwrapped in a policy",
        "Called bare, the function runs once per row the policy checks; wrapped in a sub-select PostgreSQL evaluates it once per statement (an initplan). On large tables this is orders of magnitude.",
        "Write `(select auth.uid())` instead of `auth.uid()` in USING and WITH CHECK.")
    { Name = "unwrapped_auth_function" };

    public static readonly LintRule SecurityDefinerSearchPath = new("MS013", RuleLevel.Error,
        "SECURITY DEFINER function without a fixed search_path",
        "The function runs with its owner's rights but resolves unqualified names through the caller's search_path: a caller can put their own objects first and run code as the owner.",
        "Add `set search_path = pg_catalog, pg_temp` (pg_temp named last) to the function and schema-qualify every other name in its body.")
    { Name = "security_definer_search_path" };

    public static readonly LintRule AppendOnlyModified = new("MS014", RuleLevel.Error,
        "UPDATE, DELETE or TRUNCATE of an append-only table",
        "The table is an audit trail (its comment says append-only): rewriting or erasing rows destroys the record it exists to keep, and its triggers refuse it on a database with data.",
        "Append correcting rows instead. If history truly must change (a legal erasure), do it in a migration reviewed for that purpose and acknowledge it.")
    { Name = "append_only_modified" };

    public static readonly LintRule MissingRollback = new("MS015", RuleLevel.Error,
        "migration without rollback",
        "Without supabase/rollbacks/<version>_<name>.sql the migration cannot be reverted with `db down`, and its up/down round trip cannot be tested.",
        "Write the rollback: undo exactly what the migration does, newest change first.")
    { Name = "missing_rollback" };

    public static readonly LintRule RollbackMismatch = new("MS016", RuleLevel.Error,
        "rollback does not restore the schema",
        "After up then down the schema differs from before the migration: `db down` leaves leftovers (or removes too much), and the next `db up` may fail.",
        "Make the rollback undo exactly what the migration does; the finding lists each difference (- before, + after rollback).")
    { Name = "rollback_mismatch" };

    public static readonly LintRule BadAcknowledgement = new("MS017", RuleLevel.Error,
        "`-- lint: ignore` without a reason or with an unknown rule",
        "An acknowledgement without a reason hides a finding without telling the next reader why that is safe.",
        "Write `-- lint: ignore MSnnn because <why this is safe here>` on the line before the statement, with one of the rules listed in the finding.")
    { Name = "bad_acknowledgement" };

    public static readonly LintRule NonIdempotentConcurrentIndex = new("MS018", RuleLevel.Error,
        "concurrent index build or drop that cannot be rerun",
        "It runs outside a transaction, so a runner killed after the build but before its journal row leaves the index in place " +
        "with the migration still pending: the rerun then fails with 'already exists' (or 'does not exist' for a drop).",
        "Write `create index concurrently if not exists …` (or `drop index concurrently if exists …`); the runner repairs an INVALID leftover itself.")
    { Name = "non_idempotent_concurrent_index" };

    public static readonly LintRule ViewBypassesRls = new("MS019", RuleLevel.Error,
        "view or materialized view in an exposed schema reads past row-level security",
        "A view runs with its owner's rights unless it is created `with (security_invoker = true)`: anon and authenticated read every row of " +
        "the RLS tables beneath it through PostgREST. A materialized view has no RLS at all: whoever may select it reads all it holds. " +
        "A view over auth.users publishes the users' e-mails and metadata.",
        "`create view … with (security_invoker = true) as …` (or `alter view … set (security_invoker = true)`); for a materialized view or one " +
        "over auth.users: move it to a schema the API does not expose, or `revoke select on … from anon, authenticated`.")
    { Name = "view_bypasses_rls" };

    public static readonly LintRule PolicyOpensTable = new("MS020", RuleLevel.Error,
        "policy lets anon/authenticated write every row, or anon read every row of a table not marked public data",
        "`using (true)` / `with check (true)` on an INSERT, UPDATE, DELETE or ALL policy for anon or authenticated lets anyone with the project's " +
        "anon key (or any signed-up user) change or erase every row; a SELECT policy `using (true)` for anon publishes the whole table.",
        "Restrict the policy to the rows the caller owns, e.g. `using ((select auth.uid()) = user_id)`, and `to authenticated`. " +
        "For a table that is meant to be world-readable, say so in its comment (`comment on table … is 'Public data: …'`) or acknowledge the finding.")
    { Name = "policy_opens_table" };

    public static readonly LintRule DefinerFunctionCallableByApi = new("MS021", RuleLevel.Warning,
        "security definer function in an exposed schema executable by anon/authenticated",
        "PostgREST offers every function of an exposed schema as /rpc/<name>; a security definer one runs with its owner's rights, past RLS, " +
        "for anyone the EXECUTE privilege reaches (PostgreSQL grants it to PUBLIC by default, Supabase to anon and authenticated).",
        "Move it to a schema the API does not expose, or `revoke execute on function … from public, anon[, authenticated]` and grant it only " +
        "where meant. An RPC entry point that checks its caller itself is fine: acknowledge it with `-- lint: ignore MS021 because …`.")
    { Name = "definer_function_callable_by_api" };

    public static readonly LintRule DefinerSearchPathWithoutPgTemp = new("MS022", RuleLevel.Warning,
        "security definer function whose search_path does not end with pg_temp",
        "Even with `set search_path = ''` PostgreSQL searches the caller's temporary schema first for tables and types: a caller who can " +
        "create temporary objects can shadow an unqualified name (a cast to uuid, a table in an inlined function) and run their code as the owner.",
        "Write `set search_path = pg_catalog, pg_temp` (or list the schemas you need, then pg_temp last).")
    { Name = "definer_search_path_without_pg_temp" };

    public static readonly LintRule ExtensionInPublic = new("MS023", RuleLevel.Warning,
        "extension created in schema public",
        "Its functions, types and tables land in the API's schema: PostgREST offers them as endpoints, and they clutter the public namespace. " +
        "Supabase keeps extensions in schema `extensions`, which is on the roles' search_path.",
        "`create extension if not exists … with schema extensions;`")
    { Name = "extension_created_in_public" };

    public static readonly LintRule DangerousGrantToApi = new("MS024", RuleLevel.Error,
        "TRUNCATE, TRIGGER, REFERENCES or ALL granted to anon/authenticated",
        "TRUNCATE is not subject to row-level security and erases every row; TRIGGER lets the role attach code to the table; REFERENCES lets it " +
        "create foreign keys that block deletes. `grant all` gives all three. The API roles need at most select, insert, update, delete.",
        "Grant only what the API needs, e.g. `grant select, insert, update, delete on table … to authenticated;`.")
    { Name = "dangerous_grant_to_api" };

    public static readonly LintRule DestructiveDataStatement = new("MS025", RuleLevel.Error,
        "TRUNCATE, or DELETE/UPDATE of every row, on a table that holds rows",
        "In production the table has rows: TRUNCATE erases them; with CASCADE it also empties every referencing table, DELETE without WHERE erases them " +
        "row by row, and a whole-table UPDATE or backfill rewrites every row in the migration's one transaction, holding each row lock until it commits.",
        "Backfill in batches from a job or script outside the migration (e.g. `update … where id in (select id … limit 10000)` repeated), " +
        "and delete or truncate data in a reviewed, acknowledged migration of its own.")
    { Name = "destructive_data_statement" };

    public static readonly LintRule TransactionControlInFile = new("MS026", RuleLevel.Error,
        "BEGIN, COMMIT or ROLLBACK in a migration file",
        "`db up` and `supabase db push` apply each file in one transaction together with its history row: `db up` refuses a file that controls the transaction itself; " +
        "under `supabase db push` the file's COMMIT splits it, so a failure after it leaves the file half-applied and unrecorded.",
        "Remove the BEGIN/COMMIT statements; a statement that cannot run in a transaction goes in a file of its own.")
    { Name = "transaction_control_in_file" };

    public static readonly LintRule DetachPartitionWithoutConcurrently = new("MS027", RuleLevel.Error,
        "partition detached without CONCURRENTLY",
        "`alter table … detach partition …` takes an ACCESS EXCLUSIVE lock on the partitioned table: every read and write of every partition waits, " +
        "and queues behind any long query on any of them.",
        "`alter table … detach partition … concurrently` (PostgreSQL 14+; SHARE UPDATE EXCLUSIVE, reads and writes go on) in a migration file of its own " +
        "(it cannot run in a transaction); after an interruption, finish it with `… detach partition … finalize`.")
    { Name = "detach_partition_without_concurrently" };

    public static readonly LintRule ReplicaIdentityFull = new("MS028", RuleLevel.Warning,
        "REPLICA IDENTITY FULL on a table",
        "With wal_level = logical (every Supabase project), each UPDATE and DELETE on the table then writes the whole old row to the WAL: " +
        "WAL volume, replication lag and Realtime's load grow with the row width and the write rate, for as long as the setting stays.",
        "Keep the default (the primary key) unless subscribers need the old row. If they do, limit it to small or rarely updated tables, " +
        "or use `replica identity using index …` on a unique index of NOT NULL columns; acknowledge it with the reason.")
    { Name = "replica_identity_full" };

    public static readonly LintRule TriggersDisabled = new("MS029", RuleLevel.Error,
        "all triggers disabled (DISABLE TRIGGER ALL, session_replication_role)",
        "`disable trigger all` and `session_replication_role = replica` also switch off the internal triggers that enforce foreign keys, " +
        "and the audit, append-only and updated_at triggers: rows written meanwhile are never checked. Both need superuser rights, which " +
        "the postgres role of a hosted Supabase project does not have, so the migration fails there.",
        "Disable only the trigger you mean, by name (`alter table … disable trigger name`), and enable it again in the same file; " +
        "or do the data change without it (e.g. write the rows the trigger expects).")
    { Name = "triggers_disabled" };

    public static readonly LintRule DomainConstraintValidated = new("MS030", RuleLevel.Error,
        "domain constraint added and validated against existing rows",
        "`alter domain … add constraint` (or `set not null`) checks every value of every column of that type in every table, " +
        "holding a lock that blocks writes to those tables for the whole scan.",
        "`alter domain … add constraint … check (…) not valid` (instant; enforced for new values), then `alter domain … validate constraint …` " +
        "in a later migration at a quiet time (in PostgreSQL 15 the validation still blocks writes to those tables while it scans; 17 lets them through).")
    { Name = "domain_constraint_validated" };

    public static readonly LintRule IdentifierTooLong = new("MS031", RuleLevel.Error,
        "identifier longer than 63 bytes",
        "PostgreSQL silently truncates names to 63 bytes (NOTICE only): the object gets a name the file does not say, code and PostgREST clients that " +
        "use the written name do not find it, and two long names that share their first 63 bytes collide.",
        "Use a name of at most 63 bytes.")
    { Name = "identifier_too_long" };

    public static IReadOnlyList<LintRule> All { get; } =
    [
        StatementFailed, IndexWithoutConcurrently, NotNullOnExistingTable, TableRewrite, ConstraintValidated,
        AccessExclusiveWithoutTimeout, StatementsAfterAccessExclusive, DroppedObject, RenamedObject, NonTransactionalNotAlone,
        ExposedWithoutRls, PolicyWithRlsOff, UnwrappedAuthFunction, SecurityDefinerSearchPath, AppendOnlyModified,
        MissingRollback, RollbackMismatch, BadAcknowledgement, NonIdempotentConcurrentIndex,
        ViewBypassesRls, PolicyOpensTable, DefinerFunctionCallableByApi, DefinerSearchPathWithoutPgTemp, ExtensionInPublic,
        DangerousGrantToApi, DestructiveDataStatement, TransactionControlInFile,
        DetachPartitionWithoutConcurrently, ReplicaIdentityFull, TriggersDisabled, DomainConstraintValidated, IdentifierTooLong,
    ];

    /// <summary>The rule with this code or name (either case), or null.</summary>
    public static LintRule? Find(string id) => All.FirstOrDefault(r =>
        string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Name, id, StringComparison.OrdinalIgnoreCase));
}
