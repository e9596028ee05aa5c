using MentorStatus.Database.Migrations;
using Npgsql;

namespace MentorStatus.Rehearsal;

/// <summary>The raw measurements of one statement, before they are matched with the clients and the monitor.</summary>
internal sealed class ProbedStatement
{
    public required MigrationFile File { get; init; }
    public required SqlStatement Statement { get; init; }
    public required bool Transactional { get; init; }
    public required DateTime Start { get; init; }
    public DateTime End { get; set; }
    /// <summary>When its locks went: the file's commit (transactional) or the statement's end.</summary>
    public DateTime Released { get; set; }
    public long WalBytes { get; set; }
    public List<(uint Relation, string Mode)> NewLocks { get; } = [];
    public List<RelationWritten> Written { get; } = [];
    /// <summary>Relations of the file's baseline: name and rows, by oid.</summary>
    public required IReadOnlyDictionary<uint, (string Name, long Rows, char Kind)> Baseline { get; init; }
}

/// <summary>
/// The <see cref="IMigrationObserver"/> of a rehearsal: on the runner's own connection, before and after each
/// statement, it reads the WAL position, the relfilenode of every user relation (a new one = rewritten) and,
/// inside the file's transaction, the relation locks the backend holds (new ones were taken by that statement
/// and are held until the commit). Only catalog reads: no lock of its own on a user table.
/// </summary>
internal sealed class StatementProbe(ActivityMonitor monitor) : IMigrationObserver
{
    private const string SelectWal = "select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint";

    private const string SelectRelations = $"""
        select c.oid, n.nspname || '.' || c.relname, c.relkind::text, c.relfilenode, greatest(c.reltuples, 0)::bigint
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'm', 'i') and {SourceCheck.UserSchemas} and n.nspname <> 'supabase_migrations'
        """;

    private const string SelectOwnLocks = """
        select l.relation, l.mode from pg_locks l
        where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted
          and l.database = (select oid from pg_database where datname = current_database())
        """;

    private const string SelectSize = "select case when $2 = 'i' then pg_relation_size($1::oid) else pg_table_size($1::oid) end";

    private readonly List<ProbedStatement> _statements = [];
    private MigrationFile? _file;
    private Dictionary<uint, (string Name, long Rows, char Kind)> _baseline = [];
    private Dictionary<uint, uint> _fileNodes = [];
    private readonly HashSet<(uint, string)> _heldInFile = [];
    private long _walBefore;

    public IReadOnlyList<ProbedStatement> Statements => _statements;

    public async Task BeforeStatementAsync(NpgsqlConnection connection, MigrationFile file, SqlStatement statement, CancellationToken ct)
    {
        monitor.MigrationPid = connection.ProcessID;
        var relations = await RelationsAsync(connection, ct);
        if (!ReferenceEquals(file, _file))
        {
            _file = file;
            _baseline = relations.ToDictionary(r => r.Oid, r => (r.Name, r.Rows, r.Kind));
            _heldInFile.Clear();
        }
        _fileNodes = relations.ToDictionary(r => r.Oid, r => r.FileNode);
        _walBefore = await ScalarAsync<long>(connection, SelectWal, ct);
        _statements.Add(new ProbedStatement
        {
            File = file, Statement = statement, Transactional = !file.IsNonTransactional, Start = DateTime.UtcNow, Baseline = _baseline,
        });
    }

    public async Task AfterStatementAsync(NpgsqlConnection connection, MigrationFile file, SqlStatement statement, CancellationToken ct)
    {
        var probed = _statements[^1];
        probed.End = probed.Released = DateTime.UtcNow;
        probed.WalBytes = await ScalarAsync<long>(connection, SelectWal, ct) - _walBefore;
        if (probed.Transactional)
        {
            await using var command = new NpgsqlCommand(SelectOwnLocks, connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var held = (reader.GetFieldValue<uint>(0), reader.GetString(1));
                if (_baseline.ContainsKey(held.Item1) && _heldInFile.Add(held)) probed.NewLocks.Add(held);
            }
        }
        foreach (var relation in await RelationsAsync(connection, ct))
        {
            var rewritten = _fileNodes.TryGetValue(relation.Oid, out var before) && before != relation.FileNode && before != 0;
            var created = !_fileNodes.ContainsKey(relation.Oid);
            if (!rewritten && !created) continue;
            var bytes = await ScalarAsync<long>(connection, SelectSize, ct, (long)relation.Oid, relation.Kind.ToString());
            probed.Written.Add(new RelationWritten(relation.Name, rewritten, bytes));
        }
    }

    public Task FileCommittedAsync(NpgsqlConnection connection, MigrationFile file, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        foreach (var probed in _statements.Where(s => ReferenceEquals(s.File, file) && s.Transactional)) probed.Released = now;
        return Task.CompletedTask;
    }

    private sealed record Relation(uint Oid, string Name, char Kind, uint FileNode, long Rows);

    private static async Task<List<Relation>> RelationsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var list = new List<Relation>();
        await using var command = new NpgsqlCommand(SelectRelations, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            list.Add(new Relation(reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2)[0], reader.GetFieldValue<uint>(3), reader.GetInt64(4)));
        return list;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}
