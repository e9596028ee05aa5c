using MentorStatus.Database;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Security;

public enum Op
{
    ReadMentor, ReadHistory, SelfPause, CoordinatorPause, SelfResume, CoordinatorResume,
    DirectHistoryInsert, HistoryUpdate, HistoryDelete,
}

/// <summary>
/// Issue 3's matrix over the real seeded database (supabase/seed.sql): actors × operations, each
/// case in its own transaction that is rolled back, acting as PostgREST does
/// (<c>set local role</c> + <c>request.jwt.claims</c>).
/// </summary>
public sealed class RlsMatrixTests
{
    // Who is who (seed.sql): Northgate is coordinated by Nora, Riverside by Rami, Harbour and Meadow
    // (another organisation) by Sara; Hugo's only assignment (Hilltop) is revoked. Alva is a mentor of
    // Northgate; Bo is a mentor of Northgate AND Riverside; Dara of Hilltop; Gus of Harbour (no login).
    //
    // Outcomes:  visible  the read returns every row of the target (as many as the owner sees, > 0)
    //            hidden   the read returns zero rows
    //            ok       change_mentor_status succeeded: the returned record and exactly one new history
    //                     row name the actor as changed_by, the status moved, nothing else changed
    //            <code>   the operation failed with that SQLSTATE (42501 permission denied, MS403 reason
    //                     code not yours, MS404 mentor not found / not yours)
    // Resume cases first set the target to paused (as the owner, inside the case's transaction).
    private const string Matrix = """
        actor        | target | role in the matrix                                         | read mentor | read history | self pause | coordinator pause | self resume | coordinator resume | direct history insert | history update | history delete
        anon         | Alva   | anon                                                       | 42501       | 42501        | 42501      | 42501             | 42501       | 42501              | 42501                 | 42501          | 42501
        alva         | Alva   | the mentor                                                 | visible     | visible      | ok         | MS403             | ok          | MS403              | 42501                 | 42501          | 42501
        bo           | Alva   | another mentor of the same chapter                         | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        nora         | Alva   | coordinator of the chapter                                 | visible     | visible      | MS403      | ok                | MS403       | ok                 | 42501                 | 42501          | 42501
        rami         | Alva   | coordinator of another chapter (same organisation)         | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        sara         | Alva   | coordinator of another organisation's chapters             | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        nora         | Bo     | coordinator of one of the two chapters of a multi-chapter mentor | visible | visible  | MS403      | ok                | MS403       | ok                 | 42501                 | 42501          | 42501
        rami         | Bo     | coordinator of the other chapter of a multi-chapter mentor | visible     | visible      | MS403      | ok                | MS403       | ok                 | 42501                 | 42501          | 42501
        bo           | Bo     | the multi-chapter mentor themself                          | visible     | visible      | ok         | MS403             | ok          | MS403              | 42501                 | 42501          | 42501
        alva         | Bo     | a mentor sharing one chapter with the multi-chapter mentor | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        cai          | Bo     | a mentor sharing the other chapter                         | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        hugo         | Dara   | a coordinator with no chapter (revoked from Dara's)        | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        hugo         | Alva   | a coordinator with no chapter                              | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        sara         | Gus    | coordinator of a mentor without a login                    | visible     | visible      | MS403      | ok                | MS403       | ok                 | 42501                 | 42501          | 42501
        nora         | Gus    | coordinator of another organisation's mentor               | hidden      | hidden       | MS404      | MS404             | MS404       | MS404              | 42501                 | 42501          | 42501
        service_role | Alva   | service_role                                               | visible     | visible      | 42501      | 42501             | 42501       | 42501              | 42501                 | 42501          | 42501
        """;

    /// <summary>Which mentors' rows and history each actor reads in the whole seeded database.</summary>
    private const string VisibleSets = """
        actor        | mentors (and history) visible
        anon         | -
        alva         | Alva
        bo           | Bo
        cai          | Cai
        nora         | Alva, Bo
        rami         | Bo, Cai
        sara         | Eli, Fen, Gus
        hugo         | -
        service_role | Alva, Bo, Cai, Dara, Eli, Fen, Gus
        """;

    private static readonly string[] Columns = ["read mentor", "read history", "self pause", "coordinator pause", "self resume",
        "coordinator resume", "direct history insert", "history update", "history delete"];
    private static readonly Op[] ColumnOps = [Op.ReadMentor, Op.ReadHistory, Op.SelfPause, Op.CoordinatorPause, Op.SelfResume,
        Op.CoordinatorResume, Op.DirectHistoryInsert, Op.HistoryUpdate, Op.HistoryDelete];
    private static readonly HashSet<string> Allowed = ["visible", "ok"];

    public sealed record Case(string Actor, string Target, string Role, Op Op, string Expected)
    {
        public string Name => $"{Actor} ({Role}) → {Target}: {Columns[Array.IndexOf(ColumnOps, Op)]} ⇒ {Expected}";
    }

    public static readonly IReadOnlyList<Case> Cases = ParseMatrix();

    private static List<Case> ParseMatrix()
    {
        var lines = Matrix.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines[0].Split('|', StringSplitOptions.TrimEntries);
        if (!header.Skip(3).SequenceEqual(Columns)) throw new InvalidOperationException("matrix header: " + lines[0]);
        var cases = new List<Case>();
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length != header.Length) throw new InvalidOperationException("matrix row has the wrong number of cells: " + line);
            for (var i = 0; i < ColumnOps.Length; i++) cases.Add(new Case(cells[0], cells[1], cells[2], ColumnOps[i], cells[3 + i]));
        }
        return cases;
    }

    public static TheoryData<string> CaseNames() => new(Cases.Select(c => c.Name));

    private static readonly Lazy<Task<DatabaseTarget>> Database = new(() => TestDatabases.SeededAsync("rlsmatrix"));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task MatrixCase(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        await using var dataSource = (await Database.Value).CreateDataSource();
        var outcome = await RunCaseAsync(dataSource, Seed.Actors[c.Actor], Seed.Mentors.ByName[c.Target], c.Op);
        Assert.True(outcome == c.Expected, $"{c.Name}\n  expected: {c.Expected}\n  actual:   {outcome}");
    }

    // As the owner: the mentor paused themself (a self_pause record and the status in one statement, as
    // issue 10 requires of every status change), so that both resumes are allowed by the rules.
    private const string PausedByThemselfSql = """
        with recorded as (
            insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, changed_at, reason)
            select m.id, 'active', 'paused', m.user_id, clock_timestamp(), 'self_pause'
            from public.peer_mentors m where m.id = $1
            returning mentor_id, changed_at)
        update public.peer_mentors m set status = 'paused', status_changed_at = r.changed_at
        from recorded r where m.id = r.mentor_id
        """;

    /// <summary>Runs one case in its own transaction, always rolled back; returns its outcome.</summary>
    private static async Task<string> RunCaseAsync(NpgsqlDataSource dataSource, Actor actor, Guid mentor, Op op)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        if (op is Op.SelfResume or Op.CoordinatorResume)
            await connection.RunAsync(PausedByThemselfSql, mentor);
        var before = await SnapshotAsync(connection, mentor);

        await connection.ActAsAsync(actor);
        string outcome;
        try
        {
            outcome = op switch
            {
                Op.ReadMentor => ReadOutcome(await connection.ValueAsync<long>(
                    "select count(*) from public.peer_mentors where id = $1", mentor), before.MentorRows),
                Op.ReadHistory => ReadOutcome(await connection.ValueAsync<long>(
                    "select count(*) from public.peer_mentor_status_history where mentor_id = $1", mentor), before.TargetHistory),
                Op.SelfPause => await ChangeAsync(connection, actor, mentor, "active", "paused", "self_pause", before),
                Op.CoordinatorPause => await ChangeAsync(connection, actor, mentor, "active", "paused", "coordinator_manual_pause", before),
                Op.SelfResume => await ChangeAsync(connection, actor, mentor, "paused", "active", "self_resume", before),
                Op.CoordinatorResume => await ChangeAsync(connection, actor, mentor, "paused", "active", "coordinator_resume", before),
                Op.DirectHistoryInsert => "inserted " + await connection.RunAsync(
                    "insert into public.peer_mentor_status_history (mentor_id, previous_status, new_status, changed_by, reason) " +
                    "values ($1, 'active', 'paused', $2, 'self_pause')", mentor, actor.UserId),
                Op.HistoryUpdate => "updated " + await connection.RunAsync(
                    "update public.peer_mentor_status_history set reason = 'self_pause' where mentor_id = $1", mentor),
                Op.HistoryDelete => "deleted " + await connection.RunAsync(
                    "delete from public.peer_mentor_status_history where mentor_id = $1", mentor),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
        }
        catch (PostgresException e)
        {
            return e.SqlState; // the transaction is aborted and rolled back on dispose
        }

        // Whatever did not fail: nothing else changed (reads and refused writes change nothing at all).
        await connection.ResetRoleAsync();
        var after = await SnapshotAsync(connection, mentor);
        if (outcome != "ok" && after != before) outcome += $" BUT the database changed: {before} → {after}";
        await tx.RollbackAsync();
        return outcome;
    }

    private static string ReadOutcome(long seen, long total) =>
        total == 0 ? $"bad fixture: the target has no rows" : seen == 0 ? "hidden" : seen == total ? "visible" : $"partial {seen} of {total}";

    /// <summary>A change as the actor through the rpc, checked from both sides: the returned record and the table.</summary>
    private static async Task<string> ChangeAsync(NpgsqlConnection connection, Actor actor, Guid mentor, string from, string to, string reason, Snapshot before)
    {
        var record = (await connection.RowsAsync(
            "select id, mentor_id, previous_status::text as previous_status, new_status::text as new_status, changed_by, reason, job_run_id " +
            "from public.change_mentor_status($1, $2::public.mentor_status, $3)", mentor, to, reason)).Single();

        var problems = new List<string>();
        void Expect(string what, object? expected, object? actual)
        {
            if (!Equals(expected, actual)) problems.Add($"{what}: expected {expected ?? "NULL"}, got {actual ?? "NULL"}");
        }
        Expect("record.mentor_id", mentor, record["mentor_id"]);
        Expect("record.changed_by", actor.UserId, record["changed_by"]);
        Expect("record.previous_status", from, record["previous_status"]);
        Expect("record.new_status", to, record["new_status"]);
        Expect("record.reason", reason, record["reason"]);
        Expect("record.job_run_id", null, record["job_run_id"]);

        await connection.ResetRoleAsync();
        var after = await SnapshotAsync(connection, mentor);
        Expect("history rows of the target", before.TargetHistory + 1, after.TargetHistory);
        Expect("history rows of other mentors", before.OtherHistory, after.OtherHistory);
        Expect("status of the target", to, after.TargetStatus);
        Expect("statuses of other mentors", before.OtherStatuses, after.OtherStatuses);
        var stored = await connection.RowsAsync(
            "select changed_by, previous_status::text as previous_status, new_status::text as new_status " +
            "from public.peer_mentor_status_history where id = $1", record["id"]);
        Expect("stored record", 1, stored.Count);
        if (stored.Count == 1)
        {
            Expect("stored changed_by", actor.UserId, stored[0]["changed_by"]);
            Expect("stored previous_status", from, stored[0]["previous_status"]);
            Expect("stored new_status", to, stored[0]["new_status"]);
        }
        await connection.ActAsAsync(actor);
        return problems.Count == 0 ? "ok" : "wrong change: " + string.Join("; ", problems);
    }

    private sealed record Snapshot(long MentorRows, long TargetHistory, long OtherHistory, string TargetStatus, string OtherStatuses);

    private static async Task<Snapshot> SnapshotAsync(NpgsqlConnection connection, Guid mentor)
    {
        var row = (await connection.RowsAsync("""
            select (select count(*) from public.peer_mentors where id = $1) as mentor_rows,
                   (select count(*) from public.peer_mentor_status_history where mentor_id = $1) as target_history,
                   (select count(*) from public.peer_mentor_status_history where mentor_id <> $1) as other_history,
                   (select status::text from public.peer_mentors where id = $1) as target_status,
                   (select string_agg(id || '=' || status, ',' order by id) from public.peer_mentors where id <> $1) as other_statuses
            """, mentor)).Single();
        return new Snapshot((long)row["mentor_rows"]!, (long)row["target_history"]!, (long)row["other_history"]!,
            (string)row["target_status"]!, (string)row["other_statuses"]!);
    }

    // Whole-database view per actor: no leak to mentors outside the targets above either. -------------

    public static TheoryData<string, string> VisibleSetRows()
    {
        var data = new TheoryData<string, string>();
        foreach (var line in VisibleSets.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            data.Add(cells[0], cells[1]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(VisibleSetRows))]
    public async Task ActorReadsExactlyTheseMentorsAndTheirHistory(string actor, string expected)
    {
        await using var dataSource = (await Database.Value).CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var expectedNames = expected == "-" ? [] : expected.Split(", ").Order().ToList();
        var expectedHistoryRows = await connection.ValueAsync<long>(
            "select count(*) from public.peer_mentor_status_history where mentor_id = any ($1)",
            expectedNames.Select(n => Seed.Mentors.ByName[n]).ToArray());

        await connection.ActAsAsync(Seed.Actors[actor]);
        if (actor == "anon")
        {
            // anon has no privilege on the app tables at all (issue 10 part 4): refused, not just empty.
            foreach (var table in new[] { "peer_mentors", "peer_mentor_status_history" })
            {
                await tx.SaveAsync("anon_read");
                var e = await Assert.ThrowsAsync<PostgresException>(() => connection.RowsAsync($"select * from public.{table}"));
                Assert.Equal("42501", e.SqlState);
                await tx.RollbackAsync("anon_read");
            }
            return;
        }
        var mentors = (await connection.RowsAsync("select id from public.peer_mentors"))
            .Select(r => Seed.Mentors.NameOf((Guid)r["id"]!)).Order().ToList();
        Assert.Equal(expectedNames, mentors);
        var history = await connection.RowsAsync("select mentor_id from public.peer_mentor_status_history");
        Assert.Equal(expectedNames, history.Select(r => Seed.Mentors.NameOf((Guid)r["mentor_id"]!)).Distinct().Order().ToList());
        Assert.Equal(expectedHistoryRows, history.Count);
    }

    // The table itself must not be vacuous. --------------------------------------------------------

    [Fact]
    public void MatrixHasAllowedAndDeniedCasesForEveryOperation()
    {
        foreach (var op in Enum.GetValues<Op>())
        {
            var outcomes = Cases.Where(c => c.Op == op).Select(c => c.Expected).ToList();
            // Direct writes to the history table are denied to everyone: that column may be all-denied,
            // but must then be denied to every kind of actor, service_role included.
            if (op is Op.DirectHistoryInsert or Op.HistoryUpdate or Op.HistoryDelete)
            {
                Assert.All(outcomes, o => Assert.Equal("42501", o));
                Assert.Contains(Cases, c => c.Op == op && c.Actor == "service_role");
                continue;
            }
            Assert.True(outcomes.Any(Allowed.Contains), $"{op}: no allowed case in the matrix");
            Assert.True(outcomes.Any(o => !Allowed.Contains(o)), $"{op}: no denied case in the matrix");
        }
    }

    [Fact]
    public void MatrixCoversEveryActorKindOfTheIssue()
    {
        string[] kinds = ["anon", "the mentor", "another mentor of the same chapter", "coordinator of the chapter",
            "coordinator of another chapter", "coordinator of one of the two chapters of a multi-chapter mentor",
            "a coordinator with no chapter", "service_role"];
        foreach (var kind in kinds) Assert.Contains(Cases, c => c.Role.StartsWith(kind, StringComparison.Ordinal));
        Assert.Equal(Cases.Count, Cases.Select(c => c.Name).Distinct().Count());
        Assert.All(Cases, c => Assert.Matches("^(visible|hidden|ok|42501|MS403|MS404)$", c.Expected));
        // The writes that are allowed really are "both directions": for each change that succeeds for
        // someone, a stranger to the mentor is refused the same change on the same mentor.
        foreach (var allowed in Cases.Where(c => c.Expected == "ok"))
            Assert.Contains(Cases, c => c.Target == allowed.Target && c.Op == allowed.Op && c.Expected == "MS404");
    }
}

/// <summary>Writes to peer_mentors that bypass change_mentor_status (and so write no history row).</summary>
public sealed class DirectStatusWriteTests
{
    [Theory]
    [InlineData("alva")]
    [InlineData("nora")]
    [InlineData("anon")]
    public async Task ApiUsersCannotChangeAStatusDirectly(string actor)
    {
        var target = await TestDatabases.SeededAsync("directwrite");
        await using var dataSource = target.CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ActAsAsync(Seed.Actors[actor]);
        // No UPDATE policy, and since issue 10 no UPDATE privilege either: refused outright (42501).
        await tx.SaveAsync("direct_write");
        var error = await Record.ExceptionAsync(() => connection.RunAsync("update public.peer_mentors set status = 'paused' where id = $1", Seed.Mentors.Alva));
        Assert.Equal("42501", Assert.IsType<PostgresException>(error).SqlState);
        await tx.RollbackAsync("direct_write");
        await connection.ResetRoleAsync();
        Assert.Equal("active", await connection.ValueAsync<string>("select status::text from public.peer_mentors where id = $1", Seed.Mentors.Alva));
    }

    // service_role bypasses RLS and holds Supabase's default UPDATE on peer_mentors; migration
    // 20261101000600 refuses a direct status change by any API role (the functions run as the owner).
    [Fact]
    public async Task ServiceRoleCannotChangeAStatusWithoutAHistoryRecord()
    {
        var target = await TestDatabases.SeededAsync("servicedirect");
        await using var dataSource = target.CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ActAsAsync(Actor.ServiceRole);
        var error = await Record.ExceptionAsync(() => connection.RunAsync(
            "update public.peer_mentors set status = 'paused' where id = $1", Seed.Mentors.Alva));
        Assert.Equal("42501", Assert.IsType<PostgresException>(error).SqlState);
        Assert.Contains("change_mentor_status", ((PostgresException)error!).Hint);
    }
}
