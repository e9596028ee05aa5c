using System.Text;
using System.Text.RegularExpressions;
using MentorStatus.Database.Migrations;
using MentorStatus.Database;
using Npgsql;
using static MentorStatus.Tooling.Declarative.DraftCatalog;

namespace MentorStatus.Tooling.Declarative;

/// <summary>What `db diff -f NAME` wrote, and what it could not write (left as TODO in the files, which then refuse to run).</summary>
public sealed record DraftResult(IReadOnlyList<string> Files, IReadOnlyList<string> Todo, IReadOnlyList<string> RollbackTodo)
{
    public bool NothingToDo => Files.Count == 0;
    public bool Complete => Todo.Count == 0 && RollbackTodo.Count == 0;
}

/// <summary>
/// Writes the migration that takes the migrations' result to what supabase/schemas describes, and its rollback, from the
/// difference of the two throwaway databases of a <see cref="DeclarativeWorkbench"/>. It writes statements for functions
/// and procedures (create or replace; the rollback restores the previous body), triggers, policies, privileges, comments,
/// new schemas, enum types, tables, columns (added, default, not null), constraints and RLS switches; an index on an
/// existing table gets a file of its own with `create index concurrently` (the lint's rule, and the only way it can
/// run). The draft is then tried on a copy of the migrations' database: what still differs afterwards (dropped tables or
/// columns, changed column types, reference data, anything else) is listed as TODO in the files, which raise an error
/// until a person writes that part. Same for a rollback that does not restore the catalog.
/// </summary>
public static class MigrationDraft
{
    private sealed class Plan
    {
        public readonly List<string> Forward = [];
        public readonly List<string> ForwardLast = [];   // privileges and comments, after every object exists
        public readonly List<string> Backward = [];
        public readonly List<string> BackwardLast = [];
        public readonly List<(string Label, string Forward, string Backward)> Indexes = [];
        public readonly List<string> Todo = [];
    }

    public static async Task<DraftResult> WriteAsync(DeclarativeWorkbench bench, string name, DateTimeOffset now, IProgress<string>? progress = null,
        CancellationToken ct = default)
    {
        if (DatabaseWorkflow.MigrationNameProblem(name) is { } problem) throw new MigrationException(problem);
        var comparison = await bench.CompareAsync(ct);
        if (comparison.Agrees) return new DraftResult([], [], []);

        var before = await DraftCatalog.ReadAsync(bench.Sessions(bench.MigrationsDatabase), ct);
        var after = await DraftCatalog.ReadAsync(bench.Sessions(bench.DeclaredDatabase), ct);
        var plan = Build(before, after);

        progress?.Report("trying the draft on a copy of the migrations' database…");
        var (todo, rollbackTodo) = await TryAsync(bench, plan, ct);
        todo = plan.Todo.Concat(todo).ToList();
        return Write(bench.Layout, name, now, plan, todo, rollbackTodo);
    }

    private static Plan Build(DraftCatalog a, DraftCatalog b)
    {
        var plan = new Plan();
        var recreated = new HashSet<string>(StringComparer.Ordinal);   // comment/grant targets dropped and created again
        var restoredInRollback = new HashSet<string>(StringComparer.Ordinal);
        var droppedTables = a.Tables.Keys.Where(t => !b.Tables.ContainsKey(t)).ToHashSet(StringComparer.Ordinal);
        var newTables = b.Tables.Keys.Where(t => !a.Tables.ContainsKey(t)).ToHashSet(StringComparer.Ordinal);

        // Phase lists, forward in this order; the rollback undoes them in the reverse order.
        var fSchemas = new List<string>(); var bSchemas = new List<string>();
        var fTypes = new List<string>(); var bTypes = new List<string>();
        var fTables = new List<string>(); var bTables = new List<string>();
        var fColumns = new List<string>(); var bColumns = new List<string>();
        var fDropConstraints = new List<string>(); var fAddConstraints = new List<string>(); var bConstraints = new List<string>();
        var fDropDependents = new List<string>(); var bCreateDependents = new List<string>();
        var fDropFunctions = new List<string>(); var fFunctions = new List<string>(); var bFunctions = new List<string>();
        var fDependents = new List<string>(); var bDropDependents = new List<string>();
        var fRls = new List<string>(); var bRls = new List<string>();

        foreach (var schema in b.Schemas.Except(a.Schemas).Order(StringComparer.Ordinal))
        {
            fSchemas.Add($"create schema {Quote(schema)}");
            bSchemas.Add($"drop schema {Quote(schema)}");
        }
        foreach (var schema in a.Schemas.Except(b.Schemas).Order(StringComparer.Ordinal))
            plan.Todo.Add($"schema {schema} is gone from supabase/schemas: drop it (and what is in it) by hand");

        foreach (var (type, labels) in b.Enums.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!a.Enums.TryGetValue(type, out var old))
            {
                fTypes.Add($"create type {type} as enum ({labels})");
                bTypes.Add($"drop type {type}");
            }
            else if (old != labels)
                plan.Todo.Add($"enum {type} changes from ({old}) to ({labels}): `alter type … add value` cannot be undone by a rollback; write both by hand");
        }
        foreach (var type in a.Enums.Keys.Except(b.Enums.Keys))
            plan.Todo.Add($"enum {type} is gone from supabase/schemas: drop it by hand");

        // New tables, each after the new tables it references.
        foreach (var name in TopologicalOrder(b, newTables))
        {
            var table = b.Tables[name];
            var lines = table.Columns.Select(c => "    " + c.Definition)
                .Concat(table.Constraints.Where(c => !c.Definition.EndsWith("NOT VALID", StringComparison.Ordinal))
                    .Select(c => $"    constraint {Quote(c.Name)} {c.Definition}"));
            var sql = new StringBuilder($"create table {name} (\n{string.Join(",\n", lines)}\n)");
            fTables.Add(sql.ToString());
            foreach (var c in table.Constraints.Where(c => c.Definition.EndsWith("NOT VALID", StringComparison.Ordinal)))
                fTables.Add($"alter table {name} add constraint {Quote(c.Name)} {c.Definition}");
            if (table.Rls) fTables.Add($"alter table {name} enable row level security");
            if (table.ForceRls) fTables.Add($"alter table {name} force row level security");
            // a new table is empty: its indexes are built in the same transaction
            foreach (var index in b.Indexes.Values.Where(i => i.Table == name).OrderBy(i => i.Name, StringComparer.Ordinal))
                fTables.Add(index.Definition);
            bTables.Insert(0, $"drop table {name}");
        }
        foreach (var name in droppedTables.Order(StringComparer.Ordinal))
            plan.Todo.Add($"table {name} is gone from supabase/schemas: dropping it loses its rows; write the drop, and a rollback that can bring it back, by hand");

        foreach (var (name, table) in b.Tables.Where(t => a.Tables.ContainsKey(t.Key)).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var old = a.Tables[name];
            var oldColumns = old.Columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
            var newColumns = table.Columns.Where(c => !oldColumns.ContainsKey(c.Name)).ToList();
            if (newColumns.Count > 0 && table.Columns.Take(old.Columns.Count(c => table.Columns.Any(n => n.Name == c.Name))).Any(c => !oldColumns.ContainsKey(c.Name)))
                plan.Todo.Add($"table {name}: a new column is listed before existing ones in supabase/schemas; PostgreSQL adds a column last, so list new columns last");
            foreach (var column in newColumns)
            {
                fColumns.Add($"alter table {name} add column {column.Definition}");
                bColumns.Insert(0, $"alter table {name} drop column {Quote(column.Name)}");
            }
            foreach (var column in old.Columns.Where(c => table.Columns.All(n => n.Name != c.Name)))
                plan.Todo.Add($"column {name}.{column.Name} is gone from supabase/schemas: dropping it loses its values; write it by hand");
            foreach (var column in table.Columns.Where(c => oldColumns.ContainsKey(c.Name)))
            {
                var was = oldColumns[column.Name];
                if (was.Type != column.Type || was.Generated != column.Generated || was.Identity != column.Identity)
                {
                    plan.Todo.Add($"column {name}.{column.Name} changes from `{was.Definition}` to `{column.Definition}`: a type change rewrites the table; write it by hand");
                    continue;
                }
                if (was.Default != column.Default)
                {
                    fColumns.Add($"alter table {name} alter column {Quote(column.Name)} " + (column.Default is { } d ? $"set default {d}" : "drop default"));
                    bColumns.Insert(0, $"alter table {name} alter column {Quote(column.Name)} " + (was.Default is { } o ? $"set default {o}" : "drop default"));
                }
                if (was.NotNull != column.NotNull)
                {
                    fColumns.Add($"alter table {name} alter column {Quote(column.Name)} {(column.NotNull ? "set" : "drop")} not null");
                    bColumns.Insert(0, $"alter table {name} alter column {Quote(column.Name)} {(was.NotNull ? "set" : "drop")} not null");
                }
            }

            var oldConstraints = old.Constraints.ToDictionary(c => c.Name, StringComparer.Ordinal);
            var newConstraints = table.Constraints.ToDictionary(c => c.Name, StringComparer.Ordinal);
            foreach (var (cname, c) in newConstraints.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (oldConstraints.TryGetValue(cname, out var was) && was.Definition == c.Definition) continue;
                if (was is not null)
                {
                    fDropConstraints.Add($"alter table {name} drop constraint {Quote(cname)}");
                    bConstraints.Add($"alter table {name} add constraint {Quote(cname)} {was.Definition}");
                    recreated.Add($"constraint {Quote(cname)} on {name}");
                }
                fAddConstraints.Add($"alter table {name} add constraint {Quote(cname)} {c.Definition}");
                bConstraints.Insert(0, $"alter table {name} drop constraint {Quote(cname)}");
            }
            foreach (var (cname, was) in oldConstraints.Where(c => !newConstraints.ContainsKey(c.Key)))
            {
                fDropConstraints.Add($"alter table {name} drop constraint {Quote(cname)}");
                bConstraints.Add($"alter table {name} add constraint {Quote(cname)} {was.Definition}");
                restoredInRollback.Add($"constraint {Quote(cname)} on {name}");
            }

            if (old.Rls != table.Rls)
            {
                fRls.Add($"alter table {name} {(table.Rls ? "enable" : "disable")} row level security");
                bRls.Add($"alter table {name} {(old.Rls ? "enable" : "disable")} row level security");
            }
            if (old.ForceRls != table.ForceRls)
            {
                fRls.Add($"alter table {name} {(table.ForceRls ? "force" : "no force")} row level security");
                bRls.Add($"alter table {name} {(old.ForceRls ? "force" : "no force")} row level security");
            }
        }

        // Triggers and policies depend on functions: dropped before the functions change, created after.
        void Dependents(Dictionary<string, string> before, Dictionary<string, string> after, string kind)
        {
            foreach (var (key, sql) in after.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                if (newTables.Contains(TableOf(key)))
                {
                    fDependents.Add(sql);   // dropped with its table by the rollback
                    continue;
                }
                if (before.TryGetValue(key, out var was))
                {
                    if (was == sql) continue;
                    fDropDependents.Add($"drop {kind} {key}");
                    bCreateDependents.Add(was);
                    recreated.Add($"{kind} {key}");
                }
                fDependents.Add(sql);
                bDropDependents.Insert(0, $"drop {kind} {key}");
            }
            foreach (var (key, was) in before.Where(t => !after.ContainsKey(t.Key) && !droppedTables.Contains(TableOf(t.Key))))
            {
                fDropDependents.Add($"drop {kind} {key}");
                bCreateDependents.Add(was);
                restoredInRollback.Add($"{kind} {key}");
            }
        }
        Dependents(a.Triggers, b.Triggers, "trigger");
        Dependents(a.Policies, b.Policies, "policy");

        // Functions: plpgsql first (bodies resolved when called), then SQL (bodies checked when created).
        foreach (var f in b.Functions.Values.OrderBy(f => f.Definition.Contains("LANGUAGE sql", StringComparison.Ordinal)).ThenBy(f => f.Signature, StringComparer.Ordinal))
        {
            if (!a.Functions.TryGetValue(f.Signature, out var was))
            {
                fFunctions.Add(f.Definition.TrimEnd());
                bFunctions.Add($"drop {f.Keyword} {f.Signature}");
                continue;
            }
            if (was.Definition == f.Definition) continue;
            if (was.Result != f.Result || was.Kind != f.Kind)
            {
                // create or replace cannot change the result type: drop and create, both ways; comments and grants follow
                fDropFunctions.Add($"drop {was.Keyword} {was.Signature}");
                fFunctions.Add(f.Definition.TrimEnd());
                bFunctions.Add($"drop {f.Keyword} {f.Signature}");
                bFunctions.Add(was.Definition.TrimEnd());
                recreated.Add($"{f.Keyword} {f.Signature}");
            }
            else
            {
                fFunctions.Add(f.Definition.TrimEnd());
                bFunctions.Add(was.Definition.TrimEnd());
            }
        }
        foreach (var was in a.Functions.Values.Where(f => !b.Functions.ContainsKey(f.Signature)).OrderBy(f => f.Signature, StringComparer.Ordinal))
        {
            fDropFunctions.Add($"drop {was.Keyword} {was.Signature}");
            bFunctions.Add(was.Definition.TrimEnd());
            restoredInRollback.Add($"{was.Keyword} {was.Signature}");
        }

        // Indexes on tables that exist: each alone in a file, concurrently.
        foreach (var index in b.Indexes.Values.Where(i => !newTables.Contains(i.Table)).OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            if (a.Indexes.TryGetValue(index.Name, out var was))
            {
                if (was.Definition == index.Definition) continue;
                plan.Indexes.Add(("drop_" + Short(index.Name), $"drop index concurrently if exists {index.Name}", Concurrently(was.Definition)));
            }
            plan.Indexes.Add(("index_" + Short(index.Name), Concurrently(index.Definition), $"drop index concurrently if exists {index.Name}"));
        }
        foreach (var was in a.Indexes.Values.Where(i => !b.Indexes.ContainsKey(i.Name) && !droppedTables.Contains(i.Table)))
            plan.Indexes.Add(("drop_" + Short(was.Name), $"drop index concurrently if exists {was.Name}", Concurrently(was.Definition)));

        plan.Forward.AddRange([.. fSchemas, .. fTypes, .. fTables, .. fColumns, .. fDropConstraints, .. fAddConstraints, .. fDropDependents,
            .. fDropFunctions, .. fFunctions, .. fDependents, .. fRls]);
        plan.Backward.AddRange([.. bRls, .. bDropDependents, .. bFunctions, .. bCreateDependents, .. bConstraints, .. bColumns, .. bTables,
            .. bTypes, .. bSchemas]);

        // Privileges, then comments: after every object exists (both ways).
        foreach (var (target, grants) in b.Grants.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (a.Grants.TryGetValue(target, out var was))
            {
                if (SamePrivileges(was, grants) && !recreated.Contains(target)) continue;
                plan.ForwardLast.AddRange(Regrant(grants, was, plan.Todo));
                plan.BackwardLast.AddRange(Regrant(was, grants, plan.Todo));
            }
            else if (!grants.IsDefault)
                plan.ForwardLast.AddRange(Regrant(grants, null, plan.Todo));
        }
        foreach (var (target, was) in a.Grants.Where(g => !b.Grants.ContainsKey(g.Key) && restoredInRollback.Contains(g.Key) && !g.Value.IsDefault))
            plan.BackwardLast.AddRange(Regrant(was, null, plan.Todo));

        foreach (var (target, comment) in b.Comments.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var existed = a.Comments.TryGetValue(target, out var was);
            if (existed && was == comment && !recreated.Contains(target)) continue;
            if (!existed && comment is null) continue;
            if (!existed && target.StartsWith("index ", StringComparison.Ordinal) && !newTables.Contains(b.Indexes.GetValueOrDefault(target[6..])?.Table ?? ""))
            {
                plan.Todo.Add($"comment on {target}: the index is built concurrently in a file of its own; comment on it in a later migration");
                continue;
            }
            plan.ForwardLast.Add($"comment on {target} is {Literal(comment)}");
            if (existed) plan.BackwardLast.Add($"comment on {target} is {Literal(was)}");
        }
        foreach (var (target, was) in a.Comments.Where(c => !b.Comments.ContainsKey(c.Key) && c.Value is not null && restoredInRollback.Contains(c.Key)))
            plan.BackwardLast.Add($"comment on {target} is {Literal(was)}");

        plan.Forward.AddRange(plan.ForwardLast);
        plan.Backward.AddRange(plan.BackwardLast);
        return plan;
    }

    private static readonly string[] ApiGrantees = ["public", "anon", "authenticated", "service_role"];

    private static bool SamePrivileges(Privileges a, Privileges b) =>
        a.IsDefault == b.IsDefault && a.Owner == b.Owner && a.Entries.SequenceEqual(b.Entries);

    /// <summary>Strips every grantee but the owner and grants <paramref name="to"/>'s entries in its ACL order.</summary>
    private static IEnumerable<string> Regrant(Privileges to, Privileges? from, List<string> todo)
    {
        if (to.IsDefault)
        {
            todo.Add($"privileges on {to.Target} return to the default (no ACL): grant the defaults by hand, or leave the explicit grants");
            yield break;
        }
        var ownerNow = to.Entries.FirstOrDefault(e => e.Grantee == to.Owner).Privileges;
        var ownerBefore = from?.Entries.FirstOrDefault(e => e.Grantee == from.Owner).Privileges;
        if (from is not null && !from.IsDefault && ownerNow != ownerBefore)
            todo.Add($"the owner's own privileges on {to.Target} change ({ownerBefore} → {ownerNow}): write it by hand");
        var grantees = ApiGrantees
            .Concat(to.Entries.Select(e => e.Grantee)).Concat(from?.Entries.Select(e => e.Grantee) ?? [])
            .Where(g => g != to.Owner).Distinct(StringComparer.Ordinal)
            .Where(g => g == "public" || g is "anon" or "authenticated" or "service_role" || to.Entries.Any(e => e.Grantee == g) || from?.Entries.Any(e => e.Grantee == g) == true);
        yield return $"revoke all on {to.Target} from {string.Join(", ", grantees)}";
        foreach (var (grantee, privileges) in to.Entries.Where(e => e.Grantee != to.Owner))
        {
            var option = privileges.EndsWith(" with grant option", StringComparison.Ordinal);
            yield return $"grant {(option ? privileges[..^" with grant option".Length] : privileges)} on {to.Target} to {grantee}{(option ? " with grant option" : "")}";
        }
    }

    private static List<string> TopologicalOrder(DraftCatalog catalog, HashSet<string> tables)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<string>();
        void Visit(string name)
        {
            if (!done.Add(name)) return;
            foreach (var reference in catalog.Tables[name].Constraints.Where(c => c.Type == "f" && tables.Contains(c.References) && c.References != name))
                Visit(reference.References);
            order.Add(name);
        }
        foreach (var name in tables.Order(StringComparer.Ordinal)) Visit(name);
        return order;
    }

    private static string TableOf(string key) => key[(key.IndexOf(" on ", StringComparison.Ordinal) + 4)..];

    private static string Concurrently(string indexDefinition) =>
        Regex.Replace(indexDefinition, @"^CREATE (UNIQUE )?INDEX ", "CREATE $1INDEX CONCURRENTLY ");

    private static string Short(string indexName)
    {
        var bare = indexName[(indexName.LastIndexOf('.') + 1)..].ToLowerInvariant();
        var name = Regex.Replace(bare, "[^a-z0-9_]", "_");
        return name.Length > 60 ? name[..60] : name;
    }

    private static string Literal(string? text) => text is null ? "null" : "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Runs the draft on a copy of the migrations' database, compares with the declarative one, rolls back, compares with the original.</summary>
    private static async Task<(List<string> Todo, List<string> RollbackTodo)> TryAsync(DeclarativeWorkbench bench, Plan plan, CancellationToken ct)
    {
        var copy = await bench.CopyOfMigrationsAsync(ct);
        try
        {
            var sessions = bench.Sessions(copy);
            try
            {
                await RunAsync(sessions, plan.Forward, transaction: true, ct);
                foreach (var index in plan.Indexes) await RunAsync(sessions, [index.Forward], transaction: false, ct);
            }
            catch (PostgresException e)
            {
                return ([$"the draft fails on a copy of the migrations' database: {e.SqlState} {e.MessageText}; correct the statements by hand"], []);
            }
            var forward = await SchemaComparison.CompareAsync(sessions, bench.Sessions(bench.DeclaredDatabase), bench.ExposedSchemas, ct);
            var todo = forward.Differences.Select(d => "still differs after the draft: " + d).ToList();
            if (todo.Count > 0) todo.Insert(0, "write these by hand ('-' as the migrations leave it, '+' as supabase/schemas has it):");
            try
            {
                foreach (var index in Enumerable.Reverse(plan.Indexes)) await RunAsync(sessions, [index.Backward], transaction: false, ct);
                await RunAsync(sessions, plan.Backward, transaction: true, ct);
            }
            catch (PostgresException e)
            {
                return (todo, [$"the rollback fails after the draft: {e.SqlState} {e.MessageText}; correct it by hand"]);
            }
            var backward = await SchemaComparison.CompareAsync(bench.Sessions(bench.MigrationsDatabase), sessions, bench.ExposedSchemas, ct);
            var rollbackTodo = backward.Differences.Select(d => "not restored by the rollback: " + d).ToList();
            return (todo, rollbackTodo);
        }
        finally
        {
            await bench.DropAsync(copy, CancellationToken.None);
        }
    }

    private static async Task RunAsync(NpgsqlDataSource sessions, IReadOnlyList<string> statements, bool transaction, CancellationToken ct)
    {
        await using var connection = await sessions.OpenConnectionAsync(ct);
        await using var tx = transaction ? await connection.BeginTransactionAsync(ct) : null;
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection, tx) { CommandTimeout = 0 };
            await command.ExecuteNonQueryAsync(ct);
        }
        if (tx is not null) await tx.CommitAsync(ct);
    }

    private static DraftResult Write(ProjectLayout layout, string name, DateTimeOffset now, Plan plan, List<string> todo, List<string> rollbackTodo)
    {
        var files = new List<(string FileName, string Migration, string Rollback)>();
        var version = now.UtcDateTime;
        string Version(int offset) => version.AddSeconds(offset).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

        const string Generated = "-- Written by `mentorstatus db diff -f` from the difference between supabase/schemas and the migrations.\n" +
                                 "-- Review it (locks, data) before `db up`; change the declarative files, not only this one.\n";
        var offset = 0;
        if (plan.Forward.Count > 0 || todo.Count > 0 || rollbackTodo.Count > 0)
        {
            var fileName = $"{Version(offset++)}_{name}.sql";
            var migration = new StringBuilder($"-- {name}\n{Generated}\n");
            foreach (var statement in plan.Forward) migration.Append(statement).Append(";\n\n");
            AppendTodo(migration, todo, $"{fileName} is a skeleton");
            var rollback = new StringBuilder($"-- Rollback of {fileName}: restores the catalog as the migrations before it left it.\n{Generated}\n");
            foreach (var statement in plan.Backward) rollback.Append(statement).Append(";\n\n");
            AppendTodo(rollback, rollbackTodo, $"the rollback of {fileName} is a skeleton");
            files.Add((fileName, migration.ToString(), rollback.ToString()));
        }
        foreach (var index in plan.Indexes)
        {
            var fileName = $"{Version(offset++)}_{name}_{index.Label}.sql";
            files.Add((fileName,
                $"-- {name}: {index.Label.Replace('_', ' ')}, concurrently (writes go on), alone in its file: it cannot run in a transaction.\n{Generated}\n{index.Forward};\n",
                $"-- Rollback of {fileName}.\n{index.Backward};\n"));
        }

        Directory.CreateDirectory(layout.MigrationsDirectory);
        Directory.CreateDirectory(layout.RollbacksDirectory);
        foreach (var (fileName, _, _) in files)
            if (File.Exists(Path.Combine(layout.MigrationsDirectory, fileName)) || File.Exists(Path.Combine(layout.RollbacksDirectory, fileName)))
                throw new MigrationException($"supabase/migrations/{fileName} exists already; wait a second or pick another name. Nothing was written.");
        var written = new List<string>();
        foreach (var (fileName, migration, rollback) in files)
        {
            File.WriteAllText(Path.Combine(layout.MigrationsDirectory, fileName), migration);
            File.WriteAllText(Path.Combine(layout.RollbacksDirectory, fileName), rollback);
            written.Add(Path.Combine(layout.MigrationsDirectory, fileName));
        }
        return new DraftResult(written, todo, rollbackTodo);
    }

    private static void AppendTodo(StringBuilder file, List<string> todo, string what)
    {
        if (todo.Count == 0) return;
        file.Append("-- TODO: `db diff` could not write these; do it by hand, then delete this block:\n");
        foreach (var line in todo) file.Append("--   ").Append(line.Replace("\n", "\n--   ", StringComparison.Ordinal)).Append('\n');
        file.Append(CultureInfo.InvariantCulture, $"do $todo$ begin raise exception '{what.Replace("'", "''", StringComparison.Ordinal)}: write its TODO part by hand (see the comment above)'; end $todo$;\n");
    }
}
