using System.Security.Cryptography;
using System.Text.RegularExpressions;
using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>What the source defines that could run code on the rehearsing machine, read in the copy's snapshot.</summary>
/// <param name="Extensions">Extension name and schema.</param>
/// <param name="UntrustedFunctions">Functions (not of an extension) in an untrusted language (C, internal, plpython3u…): oid → "name(args) in language".</param>
internal sealed record SourceCode(
    IReadOnlyList<(string Name, string Schema)> Extensions, IReadOnlyDictionary<uint, string> UntrustedFunctions,
    IReadOnlyList<string> UntrustedLanguages, IReadOnlyList<string> EventTriggers);

/// <summary>
/// The trust model of the copy: the source database is untrusted input. Everything it defines (CHECK constraints,
/// defaults, generated columns, index expressions, triggers, rules, policies, functions) runs on the copy only as
/// <see cref="OwnerRole"/>, a role made for this rehearsal that signs in itself (so it cannot SET ROLE back to a
/// superuser), owns every copied object (pg_restore --no-owner, signed in as it), loads the rows (COPY as it), runs
/// the pending migrations and their rollbacks and is the session user of the synthetic clients. It is no
/// superuser, has no CREATEROLE and none of pg_execute_server_program / pg_read_server_files /
/// pg_write_server_files, and does not own the database (so it cannot change the database's settings for the
/// superuser's sessions). The copied roles lose SUPERUSER, CREATEROLE, CREATEDB, REPLICATION, membership in a
/// superuser or in those three roles, and the settings only a superuser may set; nothing of the source touches the
/// bootstrap superuser. Not restored at all: event triggers (they would fire on the migrations' DDL) and functions
/// or languages that are not trusted (C, internal, plpython3u, …). The superuser still creates the extensions
/// (from this machine's files, before any object of the source exists), grants and default privileges (no code
/// runs), and watches locks (catalog reads, with search_path pinned to pg_catalog).
/// </summary>
internal sealed class CopyContainment
{
    private const uint BootstrapSuperuser = 10;

    private const string SelectExtensions = """
        select e.extname, n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname <> 'plpgsql' order by e.oid
        """;

    private const string SelectUntrustedFunctions = $"""
        select p.oid, quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ') in language ' || l.lanname
        from pg_proc p join pg_language l on l.oid = p.prolang join pg_namespace n on n.oid = p.pronamespace
        where not l.lanpltrusted and {SourceCheck.UserSchemas}
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by 2
        """;

    private const string SelectUntrustedLanguages = """
        select l.lanname from pg_language l
        where l.oid >= 16384 and not l.lanpltrusted
          and not exists (select 1 from pg_depend d where d.classid = 'pg_language'::regclass and d.objid = l.oid and d.deptype = 'e')
        order by 1
        """;

    private const string SelectEventTriggers = """
        select e.evtname from pg_event_trigger e
        where not exists (select 1 from pg_depend d where d.classid = 'pg_event_trigger'::regclass and d.objid = e.oid and d.deptype = 'e')
        order by 1
        """;

    /// <summary>Role attributes that reach beyond the database: each is removed from every copied role.</summary>
    private const string SelectPrivilegedRoles = """
        select rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication from pg_roles
        where oid <> 10 and oid >= 16384 and (rolsuper or rolcreaterole or rolcreatedb or rolreplication)
        order by 1
        """;

    /// <summary>Memberships that give a copied role the bootstrap superuser's rights or the server's files and programs.</summary>
    private const string SelectPrivilegedMemberships = """
        select r.rolname, m.rolname from pg_auth_members a join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member
        where a.member <> 10 and (r.rolsuper or r.rolname in ('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'))
        order by 2, 1
        """;

    /// <summary>Role settings a copied role may not keep: those of the bootstrap superuser, of every role, and any a plain user could not set.</summary>
    private const string SelectRoleSettings = """
        select s.setrole, coalesce(r.rolname, ''), coalesce(d.datname, ''), split_part(c.setting, '=', 1)
        from pg_db_role_setting s
        left join pg_roles r on r.oid = s.setrole
        left join pg_database d on d.oid = s.setdatabase
        cross join lateral unnest(s.setconfig) c(setting)
        where s.setrole in (0, 10)
           or exists (select 1 from pg_settings g where g.name = split_part(c.setting, '=', 1) and g.context <> 'user')
        order by 2, 3, 4
        """;

    private readonly string _password = LocalCluster.NewPassword();
    private readonly List<string> _neutralised = [];

    /// <summary>The unprivileged role that owns, loads and migrates the copy (a random name: no source role can be it).</summary>
    public string OwnerRole { get; } = "mentorstatus_rehearse_" + RandomNumberGenerator.GetHexString(10, lowercase: true);

    /// <summary>What was taken away from the source or not created, one line each, naming the object.</summary>
    public IReadOnlyList<string> Neutralised => _neutralised;

    /// <summary>The copy's database, signed in as <see cref="OwnerRole"/>.</summary>
    public DatabaseTarget AsOwner(DatabaseTarget superuser) =>
        DatabaseTarget.Parse(new NpgsqlConnectionStringBuilder(superuser.ConnectionString) { Username = OwnerRole, Password = _password }.ConnectionString);

    /// <summary>
    /// A superuser session on a database that holds the source's objects: search_path is pg_catalog only (set at
    /// sign-in, over any role or database setting), so no function or operator of the source can stand in for a
    /// built-in one.
    /// </summary>
    public static string SuperuserPinned(DatabaseTarget superuser, string applicationName) =>
        new NpgsqlConnectionStringBuilder(superuser.ConnectionString)
            { SearchPath = "pg_catalog", Pooling = false, ApplicationName = applicationName, CommandTimeout = 0 }.ConnectionString;

    public static async Task<SourceCode> ReadAsync(NpgsqlConnection source, CancellationToken ct)
    {
        var extensions = new List<(string, string)>();
        await using (var command = new NpgsqlCommand(SelectExtensions, source))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) extensions.Add((reader.GetString(0), reader.GetString(1)));
        var functions = new Dictionary<uint, string>();
        await using (var command = new NpgsqlCommand(SelectUntrustedFunctions, source))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) functions[reader.GetFieldValue<uint>(0)] = reader.GetString(1);
        return new SourceCode(extensions, functions, await ColumnAsync(source, SelectUntrustedLanguages, ct), await ColumnAsync(source, SelectEventTriggers, ct));
    }

    /// <summary>
    /// After the source's roles were restored (superuser, database postgres): strips every copied role of what
    /// reaches beyond the database, then creates <see cref="OwnerRole"/>, a member of every copied role (as
    /// Supabase's postgres is of the API roles: the clients SET ROLE authenticated through it).
    /// </summary>
    public async Task ContainRolesAsync(NpgsqlConnection superuser, CancellationToken ct)
    {
        var roles = new List<(string Role, string Taken)>();
        await using (var command = new NpgsqlCommand(SelectPrivilegedRoles, superuser))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var taken = new[] { (1, "SUPERUSER"), (2, "CREATEROLE"), (3, "CREATEDB"), (4, "REPLICATION") }
                    .Where(a => reader.GetBoolean(a.Item1)).Select(a => a.Item2);
                roles.Add((reader.GetString(0), string.Join(", ", taken)));
            }
        foreach (var (role, taken) in roles)
        {
            await ExecuteAsync(superuser, $"alter role {Quote(role)} nosuperuser nocreaterole nocreatedb noreplication", ct);
            _neutralised.Add($"role {role}: {taken} removed");
        }
        var memberships = new List<(string Role, string Member)>();
        await using (var command = new NpgsqlCommand(SelectPrivilegedMemberships, superuser))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) memberships.Add((reader.GetString(0), reader.GetString(1)));
        foreach (var (role, member) in memberships)
        {
            await ExecuteAsync(superuser, $"revoke {Quote(role)} from {Quote(member)} cascade", ct);
            _neutralised.Add($"role {member}: membership in {role} removed");
        }
        var settings = new List<(uint Role, string RoleName, string Database, string Name)>();
        await using (var command = new NpgsqlCommand(SelectRoleSettings, superuser))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                settings.Add((reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        foreach (var s in settings)
        {
            var who = s.Role == 0 ? "all" : Quote(s.RoleName);
            var where = s.Database.Length > 0 ? $" in database {Quote(s.Database)}" : "";
            await ExecuteAsync(superuser, $"alter role {who}{where} reset {Quote(s.Name)}", ct);
            _neutralised.Add($"setting {s.Name} of {(s.Role == 0 ? "every role" : "role " + s.RoleName)}{where}: removed");
        }

        await ExecuteAsync(superuser, $"create role {Quote(OwnerRole)} login bypassrls password '{_password}'", ct);
        await GrantRolesAsync(superuser, ct);
    }

    /// <summary>Makes <see cref="OwnerRole"/> a member of every role that is not a superuser (again after the platform layer made roles).</summary>
    public async Task GrantRolesAsync(NpgsqlConnection superuser, CancellationToken ct)
    {
        var copied = await ColumnAsync(superuser, $"select rolname from pg_roles where oid >= 16384 and not rolsuper and rolname <> '{OwnerRole}' order by 1", ct);
        if (copied.Count > 0) await ExecuteAsync(superuser, $"grant {string.Join(", ", copied.Select(Quote))} to {Quote(OwnerRole)}", ct);
    }

    /// <summary>
    /// The copy's database before anything of the source is in it (superuser): <see cref="OwnerRole"/> may create
    /// schemas and owns public; the source's extensions are created from this machine's files, each in its schema
    /// (made here, owned by <see cref="OwnerRole"/>). An extension that would install an untrusted language is
    /// dropped again. Returns the schemas made here (their CREATE SCHEMA is left out of the restore) and warnings.
    /// </summary>
    public async Task<(IReadOnlySet<string> Schemas, IReadOnlyList<string> Warnings)> PrepareDatabaseAsync(
        DatabaseTarget superuser, SourceCode code, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(SuperuserPinned(superuser, "mentorstatus-rehearse-copy"));
        await connection.OpenAsync(ct);
        await ExecuteAsync(connection, $"grant create, connect, temporary on database {Quote(superuser.Database)} to {Quote(OwnerRole)}", ct);
        await ExecuteAsync(connection, $"alter schema public owner to {Quote(OwnerRole)}", ct);
        var schemas = new HashSet<string>();
        var warnings = new List<string>();
        foreach (var (name, schema) in code.Extensions)
        {
            await using (var available = new NpgsqlCommand("select exists (select 1 from pg_available_extensions where name = $1)", connection)
                         { Parameters = { new() { Value = name } } })
                if (!(bool)(await available.ExecuteScalarAsync(ct))!)
                {
                    warnings.Add($"extension {name} is not installed on this machine: not created (objects that use it are missing)");
                    continue;
                }
            try
            {
                await using (var exists = new NpgsqlCommand("select to_regnamespace($1) is null", connection) { Parameters = { new() { Value = Quote(schema) } } })
                    if ((bool)(await exists.ExecuteScalarAsync(ct))!)
                    {
                        await ExecuteAsync(connection, $"create schema {Quote(schema)} authorization {Quote(OwnerRole)}", ct);
                        schemas.Add(schema);
                    }
                await ExecuteAsync(connection, $"create extension if not exists {Quote(name)} with schema {Quote(schema)} cascade", ct);
            }
            catch (PostgresException e)
            {
                warnings.Add($"extension {name}: {e.MessageText}");
                continue;
            }
            var languages = await ColumnAsync(connection, $"""
                select l.lanname from pg_language l join pg_depend d on d.classid = 'pg_language'::regclass and d.objid = l.oid and d.deptype = 'e'
                join pg_extension e on e.oid = d.refobjid where e.extname = '{name.Replace("'", "''")}' and not l.lanpltrusted
                """, ct);
            if (languages.Count > 0)
            {
                await ExecuteAsync(connection, $"drop extension {Quote(name)} cascade", ct);
                _neutralised.Add($"extension {name}: not created (untrusted language {string.Join(", ", languages)}: its code would run as the server's OS user)");
            }
        }
        foreach (var function in code.UntrustedFunctions.Values)
            _neutralised.Add($"function {function}: not created (an untrusted language runs as the server's OS user)");
        foreach (var language in code.UntrustedLanguages) _neutralised.Add($"language {language}: not created (untrusted)");
        foreach (var trigger in code.EventTriggers) _neutralised.Add($"event trigger {trigger}: not created (it would fire on the migrations' DDL)");
        return (schemas, warnings);
    }

    private static readonly Regex TocEntry = new(@"^\d+; (\d+) (\d+) (.*)$", RegexOptions.CultureInvariant);
    private static readonly Regex RoutineEntry = new(@"^(FUNCTION|PROCEDURE|AGGREGATE) (\S+) (.*) \S+$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Splits the archive's table of contents (`pg_restore -l`) into what <see cref="OwnerRole"/> restores (the
    /// objects) and what the superuser restores afterwards (grants and default privileges: no code runs), leaving out
    /// event triggers, untrusted functions and languages (and their grants and comments), the extensions (made by
    /// <see cref="PrepareDatabaseAsync"/>) and the schemas it made.
    /// </summary>
    public static (string Owner, string Grants) SplitContents(string toc, SourceCode code, IReadOnlySet<string> schemasMade)
    {
        var owner = new List<string>();
        var grants = new List<string>();
        var dropped = new List<string>();
        var entries = toc.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith(';')).ToList();
        foreach (var line in entries)
        {
            if (TocEntry.Match(line) is not { Success: true } m) continue;
            var what = m.Groups[3].Value;
            if (m.Groups[1].Value == "1255" && uint.TryParse(m.Groups[2].Value, out var oid) && code.UntrustedFunctions.ContainsKey(oid)
                && RoutineEntry.Match(what) is { Success: true } routine)
                dropped.Add($"{routine.Groups[2].Value} {routine.Groups[1].Value} {routine.Groups[3].Value} ");
        }
        foreach (var line in entries)
        {
            if (TocEntry.Match(line) is not { Success: true } m) continue;
            var what = m.Groups[3].Value;
            var words = what.Split(' ');
            var leftOut =
                what.StartsWith("EVENT TRIGGER ", StringComparison.Ordinal) || what.Contains(" EVENT TRIGGER ", StringComparison.Ordinal)
                || what.StartsWith("EXTENSION ", StringComparison.Ordinal) || what.StartsWith("COMMENT - EXTENSION ", StringComparison.Ordinal)
                || (words is ["SCHEMA", "-", var schema, ..] && schemasMade.Contains(schema))
                || (m.Groups[1].Value == "1255" && uint.TryParse(m.Groups[2].Value, out var oid) && code.UntrustedFunctions.ContainsKey(oid))
                || dropped.Any(d => what.StartsWith("ACL " + d, StringComparison.Ordinal) || what.StartsWith("COMMENT " + d, StringComparison.Ordinal))
                || code.UntrustedLanguages.Any(l => what.Contains($"LANGUAGE {l} ", StringComparison.Ordinal) || what.EndsWith($"LANGUAGE {l}", StringComparison.Ordinal));
            if (leftOut) continue;
            if (what.StartsWith("ACL ", StringComparison.Ordinal) || what.StartsWith("DEFAULT ACL ", StringComparison.Ordinal)) grants.Add(line);
            else owner.Add(line);
        }
        return (string.Join('\n', owner) + "\n", string.Join('\n', grants) + "\n");
    }

    private static async Task<List<string>> ColumnAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        var list = new List<string>();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(reader.GetString(0));
        return list;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static string Quote(string name) => new NpgsqlCommandBuilder().QuoteIdentifier(name);
}
