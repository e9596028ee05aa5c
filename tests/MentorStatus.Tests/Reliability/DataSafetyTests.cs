using System.Diagnostics;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace MentorStatus.Tests.Reliability;

/// <summary>
/// Data safety: nothing the project sends writes the history table except by appending; reason is a code
/// whoever writes; and a pg_dump/pg_restore round trip keeps the append-only triggers, the policies and the rows.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class DataSafetyTests(ITestOutputHelper output)
{
    private static string Root => TestDatabases.Project.Root;

    // ------------------------------------------------------------------------------------------------
    // (a) static scan

    [Theory]
    [InlineData("update public.peer_mentor_status_history set reason = 'x'")]
    [InlineData("UPDATE peer_mentor_status_history h SET changed_by = NULL")]
    [InlineData("delete from only \"public\".\"peer_mentor_status_history\" where true")]
    [InlineData("truncate table public.organisations, public.peer_mentor_status_history")]
    [InlineData("truncate public.peer_mentors cascade")]
    [InlineData("merge into public.peer_mentor_status_history t using x on true when matched then delete")]
    [InlineData("create function f() returns void language plpgsql as $body$ begin -- a comment\n delete from public.peer_mentor_status_history; end $body$;")]
    [InlineData("select 1; /* closed */ update\n  public.peer_mentor_status_history set reason = null")]
    public void TheScannerFindsHistoryWrites(string sql) => Assert.NotEmpty(HistoryWriteScanner.Scan(sql));

    [Theory]
    [InlineData("-- never update public.peer_mentor_status_history here")]
    [InlineData("/* delete from public.peer_mentor_status_history /* nested */ still comment */ select 1")]
    [InlineData("raise exception 'peer_mentor_status_history is append-only: UPDATE of record % refused'")]
    [InlineData("select E'it''s delete from peer_mentor_status_history \\' still string'")]
    [InlineData("create trigger t before update on public.peer_mentor_status_history for each row execute function f()")]
    [InlineData("revoke update, delete, truncate on table public.peer_mentor_status_history from service_role")]
    [InlineData("insert into public.peer_mentor_status_history (mentor_id) values ($1)")]
    [InlineData("select * from public.peer_mentor_status_history for update of h skip locked")]
    [InlineData("comment on table public.peer_mentor_status_history is 'Never updated or deleted; TRUNCATE is refused'")]
    public void TheScannerIgnoresCommentsLiteralsTriggerDefinitionsAndReads(string sql) => Assert.Empty(HistoryWriteScanner.Scan(sql));

    [Fact]
    public void TheScannerReadsCSharpLiteralsOfEveryKind()
    {
        const string source = "var a = \"update public.peer_mentor_status_history set x = 1\"; // \"delete from peer_mentor_status_history\"\n" +
                              "var b = @\"delete from \"\"peer_mentor_status_history\"\"\"; var c = '\"';\n" +
                              "var d = $\"\"\"\n   truncate {Table}\n   \"\"\";";
        var literals = HistoryWriteScanner.CSharpStringLiterals(source);
        Assert.Equal(3, literals.Count);
        Assert.All(literals, l => Assert.NotEmpty(HistoryWriteScanner.Scan(l.Text)));
        Assert.Equal([1, 2, 3], literals.Select(l => l.Line));
    }

    [Fact]
    public void NoSqlTheProjectSendsUpdatesDeletesOrTruncatesTheHistoryTable()
    {
        var sqlFiles = Directory.GetFiles(Path.Combine(Root, "supabase", "migrations"), "*.sql")
            .Concat(Directory.GetFiles(Path.Combine(Root, "supabase", "rollbacks"), "*.sql"))
            .Append(Path.Combine(Root, "supabase", "seed.sql"))
            .Concat(SourceFiles("*.sql"))
            .ToList();
        var csFiles = SourceFiles("*.cs").ToList();
        var findings = new List<string>();
        foreach (var file in sqlFiles)
            findings.AddRange(HistoryWriteScanner.Scan(File.ReadAllText(file)).Select(f => $"{Path.GetRelativePath(Root, file)}: {f}"));
        var literalCount = 0;
        var historyLiterals = 0;
        foreach (var file in csFiles)
        {
            foreach (var (line, text) in HistoryWriteScanner.CSharpStringLiterals(File.ReadAllText(file)))
            {
                literalCount++;
                if (text.Contains("peer_mentor_status_history", StringComparison.OrdinalIgnoreCase)) historyLiterals++;
                findings.AddRange(HistoryWriteScanner.Scan(text).Select(f => $"{Path.GetRelativePath(Root, file)}:{line}: {f}"));
            }
        }
        output.WriteLine($"scanned {sqlFiles.Count} SQL files and {literalCount} string literals in {csFiles.Count} C# files " +
                         $"({historyLiterals} literals name the history table): {findings.Count} writes to the history table");
        Assert.True(sqlFiles.Count >= 12 && csFiles.Count >= 10, "the scan found too few files: is the project layout what this test expects?");
        Assert.True(historyLiterals > 0, "no C# literal names the history table: the literal extraction is broken");
        Assert.True(findings.Count == 0, "UPDATE/DELETE/TRUNCATE against peer_mentor_status_history:\n" + string.Join("\n", findings));
    }

    private static IEnumerable<string> SourceFiles(string pattern) =>
        Directory.EnumerateFiles(Path.Combine(Root, "src"), pattern, SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"));

    // ------------------------------------------------------------------------------------------------
    // (b) reason is a code, whatever role writes

    [Theory]
    [InlineData("postgres (owner)", null, "insert into public.peer_mentor_status_history (mentor_id, new_status, reason) values ('00000000-0000-4000-a004-000000000001', 'paused', 'free text')", "23503")]
    [InlineData("postgres (owner)", null, "update public.peer_mentor_status_history set reason = 'free text' where mentor_id = '00000000-0000-4000-a004-000000000001'", "MS100")]
    [InlineData("postgres (owner)", null, "insert into public.mentor_status_reason_codes (code, actor_kind, description) values ('feeling low today', 'mentor', 'x')", "23514")]
    [InlineData("service_role", "service_role", "insert into public.peer_mentor_status_history (mentor_id, new_status, reason) values ('00000000-0000-4000-a004-000000000001', 'paused', 'free text')", "42501")]
    [InlineData("service_role", "service_role", "select mentor_status_private.record_system_status_change('00000000-0000-4000-a004-000000000002', 'paused', 'free text', gen_random_uuid())", "MS422")]
    [InlineData("authenticated", "authenticated", "insert into public.peer_mentor_status_history (mentor_id, new_status, reason) values ('00000000-0000-4000-a004-000000000001', 'paused', 'free text')", "42501")]
    [InlineData("authenticated", "authenticated", "select public.change_mentor_status('00000000-0000-4000-a004-000000000001', 'paused', 'free text')", "MS422")]
    [InlineData("authenticated", "authenticated", "insert into public.mentor_status_reason_codes (code, actor_kind, description) values ('my_own_code', 'mentor', 'x')", "42501")]
    [InlineData("anon", "anon", "insert into public.peer_mentor_status_history (mentor_id, new_status, reason) values ('00000000-0000-4000-a004-000000000001', 'paused', 'free text')", "42501")]
    [InlineData("anon", "anon", "insert into public.mentor_status_reason_codes (code, actor_kind, description) values ('my_own_code', 'mentor', 'x')", "42501")]
    public async Task ReasonAcceptsOnlyPredefinedCodesWhateverRoleWrites(string who, string? role, string sql, string expectedSqlState)
    {
        var target = await TestDatabases.SeededAsync("rel_reason_" + (role ?? "owner"));
        await using var data = target.CreateDataSource();
        var before = await Catalogue.SnapshotAsync(data);
        await using (var connection = await data.OpenConnectionAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            if (role is not null)
                await using (var set = new NpgsqlCommand($"set local role {role}; select set_config('request.jwt.claims', '{{\"sub\":\"{Faults.AlvaUser}\",\"role\":\"{role}\"}}', true)", connection, transaction))
                    await set.ExecuteNonQueryAsync();
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            var error = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await command.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
            });
            output.WriteLine($"{who}: {error.SqlState} {error.MessageText}");
            Assert.Equal(expectedSqlState, error.SqlState);
        }
        Assert.Equal(0, Catalogue.Changed(before, await Catalogue.SnapshotAsync(data)));
        Assert.Equal(0L, await data.ScalarAsync<long>(
            "select count(*) from public.peer_mentor_status_history h where h.reason is not null and not exists (select 1 from public.mentor_status_reason_codes c where c.code = h.reason)"));
    }

    /// <summary>
    /// FINDING (SQL, not owned here): Supabase's default privileges give service_role ALL on
    /// public.mentor_status_reason_codes and public.mentor_status_transitions, and service_role bypasses RLS. So the
    /// backend key can add a "code" (any lower-case snake_case text, e.g. diagnosed_with_depression) with actor_kind
    /// system and a transition for it, then write it through record_system_status_change: the closed list is
    /// closed only for anon and authenticated. Fix: revoke insert, update, delete, truncate on both tables from
    /// service_role (codes come from migrations).
    /// </summary>
    [Fact] // closed by migration 20261101000600 (revokes writes on the vocabulary tables from the API roles)
    public async Task ServiceRoleCannotAddAReasonCode()
    {
        var target = await TestDatabases.SeededAsync("rel_reason_service_code");
        await using var data = target.CreateDataSource();
        await using var connection = await data.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(
            "set local role service_role; insert into public.mentor_status_reason_codes (code, actor_kind, description) values ('diagnosed_with_depression', 'system', 'x')",
            connection, transaction);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal("42501", error.SqlState);
    }

    // ------------------------------------------------------------------------------------------------
    // (c) backup and restore

    private const string TriggersSql = """
        select string_agg(tgname || ' ' || tgenabled::text || ' ' || pg_get_triggerdef(oid), E'\n' order by tgname)
        from pg_trigger where tgrelid = 'public.peer_mentor_status_history'::regclass and not tgisinternal
        """;
    private const string RlsSql = """
        select string_agg(relname || ' rls=' || relrowsecurity || ' force=' || relforcerowsecurity, E'\n' order by relname)
        from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'
        """;
    private const string PoliciesSql = """
        select string_agg(format('%s.%s %s %s %s %s using(%s) check(%s)', schemaname, tablename, policyname, permissive, roles, cmd, qual, with_check),
                          E'\n' order by schemaname, tablename, policyname)
        from pg_policies
        """;
    private const string GrantsSql = """
        select string_agg(c.relname || ' ' || coalesce(c.relacl::text, 'default'), E'\n' order by c.relname)
        from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
        """;
    private const string FunctionsSql = """
        select string_agg(p.oid::regprocedure::text || ' definer=' || p.prosecdef || ' acl=' || coalesce(p.proacl::text, 'default') || ' ' || md5(p.prosrc),
                          E'\n' order by p.oid::regprocedure::text)
        from pg_proc p where p.pronamespace in ('public'::regnamespace, 'mentor_status_private'::regnamespace)
        """;
    private const string HistoryDigestSql = """
        select count(*) || ' rows, md5 ' || md5(coalesce(string_agg(h::text, '|' order by h.id), ''))
        from public.peer_mentor_status_history h
        """;

    [Fact]
    public async Task ADumpRestoredIntoAFreshDatabaseKeepsTriggersPoliciesAndIdenticalHistory()
    {
        var cluster = await TestCluster.GetAsync();
        var source = await TestDatabases.SeededAsync("rel_dump_source");
        await using var sourceData = source.CreateDataSource();
        // History beyond the seed: a user's change and a coordinator's.
        foreach (var (user, mentor, status, reason) in new[]
                 { (Faults.AlvaUser, Faults.Alva, "paused", "self_pause"), (Faults.Nora, Faults.Alva, "active", "coordinator_resume") })
        {
            await using var connection = await sourceData.OpenConnectionAsync();
            var transaction = await Faults.BeginAsUserAsync(connection, user);
            await using (var change = Faults.ChangeStatusCommand(connection, mentor, status, reason)) await change.ExecuteScalarAsync();
            await transaction.CommitAsync();
        }

        var dump = Path.Combine(Path.GetTempPath(), $"mentorstatus-{Guid.NewGuid():N}.dump");
        try
        {
            await ToolAsync(cluster.Installation.Tool("pg_dump"), source, "-Fc", "-f", dump, "-d", source.Database);
            var restored = await TestDatabases.CreateAsync("rel_dump_restored", "template0");
            await ToolAsync(cluster.Installation.Tool("pg_restore"), restored, "--exit-on-error", "-d", restored.Database, dump);
            await using var restoredData = restored.CreateDataSource();

            foreach (var (what, sql) in new[]
                     {
                         ("triggers", TriggersSql), ("rls", RlsSql), ("policies", PoliciesSql), ("grants", GrantsSql),
                         ("functions", FunctionsSql), ("history", HistoryDigestSql),
                     })
            {
                var expected = await sourceData.ScalarAsync<string>(sql);
                Assert.False(string.IsNullOrEmpty(expected), $"{what}: nothing to compare in the source");
                Assert.Equal(expected, await restoredData.ScalarAsync<string>(sql));
                output.WriteLine($"{what}: identical ({expected.Split('\n').Length} lines)");
            }
            Assert.Equal(3, (await restoredData.ScalarAsync<string>(TriggersSql)).Split('\n').Length);
            Assert.Equal(11L, await restoredData.ScalarAsync<long>("select count(*) from public.peer_mentor_status_history"));

            // The triggers still refuse, the policies still filter, the function still appends.
            foreach (var write in new[]
                     {
                         "update public.peer_mentor_status_history set reason = reason",
                         "delete from public.peer_mentor_status_history",
                         "truncate public.peer_mentor_status_history",
                     })
            {
                var error = await Assert.ThrowsAsync<PostgresException>(() => restoredData.ExecuteAsync(write));
                Assert.Equal("MS100", error.SqlState);
            }
            await using (var connection = await restoredData.OpenConnectionAsync())
            {
                var transaction = await Faults.BeginAsUserAsync(connection, Faults.AlvaUser);
                await using (var read = new NpgsqlCommand("select count(*) from public.peer_mentor_status_history", connection, transaction))
                    Assert.Equal(3L, (long)(await read.ExecuteScalarAsync())!); // only Alva's own three records
                await using (var change = Faults.ChangeStatusCommand(connection, Faults.Alva, "paused", "self_pause")) await change.ExecuteScalarAsync();
                await transaction.CommitAsync();
            }
            await Faults.AssertHistoryChainsConsistentAsync(restoredData);
        }
        finally
        {
            File.Delete(dump);
        }
    }

    private static async Task ToolAsync(string tool, MentorStatus.Database.DatabaseTarget target, params string[] args)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-h", builder.Host!, "-p", builder.Port.ToString(CultureInfo.InvariantCulture), "-U", builder.Username! }.Concat(args)) info.ArgumentList.Add(a);
        info.Environment["PGPASSWORD"] = builder.Password;
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(tool)} failed: {await stderr}");
    }
}
