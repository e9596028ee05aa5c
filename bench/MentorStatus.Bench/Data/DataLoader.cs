using System.Diagnostics;
using MentorStatus.Database;
using MentorStatus.Tooling;
using Npgsql;
using NpgsqlTypes;
using Spectre.Console;

namespace MentorStatus.Bench.Data;

/// <summary>
/// Builds the bench database: platform layer, all migrations and the seed (exactly `db reset`), then the
/// generated organisation with binary COPY. The history table's indexes are dropped for the load and
/// built again afterwards, every one of them (the timeline index included), so that every case finds the
/// schema as the migrations leave it; the index-build case drops and rebuilds the timeline index itself.
/// Foreign keys are not checked during the load (session_replication_role = replica) because the
/// generator produces consistent rows.
/// </summary>
public sealed class DataLoader(BenchSize size, NpgsqlDataSource dataSource, IAnsiConsole err)
{
    public const string History = "public.peer_mentor_status_history";
    public const string TimelineIndex = "peer_mentor_status_history_mentor_id_changed_at_idx";
    /// <summary>The first history row is this long before the load; rows are evenly spread up to a minute ago.</summary>
    public static readonly TimeSpan HistorySpan = TimeSpan.FromDays(3 * 365);

    private const string HistoryIndexesSql = """
        select i.relname, pg_get_indexdef(i.oid)
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        where x.indrelid = 'public.peer_mentor_status_history'::regclass
          and not x.indisprimary
        order by i.relname
        """;

    public static async Task ResetSchemaAsync(ProjectLayout layout, DatabaseTarget target, string clusterDataDirectory, CancellationToken ct) =>
        await new DatabaseWorkflow(layout, target).ResetAsync(DestructiveConsent.ManagedCluster(clusterDataDirectory), ct);

    public async Task<string> LoadAsync(CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var indexes = new List<(string Name, string Definition)>();
        await using (var command = dataSource.CreateCommand(HistoryIndexesSql))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) indexes.Add((reader.GetString(0), reader.GetString(1)));
        foreach (var (name, _) in indexes) await ExecAsync($"drop index public.{name}", ct);
        await ExecAsync($"alter table {History} drop constraint peer_mentor_status_history_pkey", ct);

        var now = DateTime.UtcNow;
        var mentorStatus = new BenchStatus[size.Mentors + 1];
        var historyCount = new int[size.Mentors + 1];
        TimeSpan copyTime = default;

        await err.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var tUsers = ctx.AddTask("auth.users, organisations, chapters, coordinators", maxValue: size.Mentors + size.ExpiredMentors + size.Chapters);
                var tHistory = ctx.AddTask($"peer_mentor_status_history ({size.HistoryRows:N0} rows)", maxValue: size.HistoryRows);
                var tMentors = ctx.AddTask("peer_mentors, chapter_memberships", maxValue: (size.Mentors + size.ExpiredMentors) * 2);
                var copy = Stopwatch.StartNew();
                await Task.Run(() => CopyUsersAndChapters(tUsers), ct);
                await Task.Run(() => CopyHistory(tHistory, now, mentorStatus, historyCount), ct);
                await Task.Run(() => CopyMentors(tMentors, now, mentorStatus), ct);
                copyTime = copy.Elapsed;
                var tIndex = ctx.AddTask("primary key and indexes of the history, vacuum analyze", maxValue: indexes.Count + 2);
                await ExecAsync("set max_parallel_maintenance_workers = 2", ct);
                await ExecAsync($"alter table {History} add constraint peer_mentor_status_history_pkey primary key (id)", ct);
                tIndex.Increment(1);
                foreach (var (_, definition) in indexes)
                {
                    await ExecAsync(definition, ct);
                    tIndex.Increment(1);
                }
                // the seed's own expired mentors would otherwise join the expiry cohort
                await ExecAsync($"update public.peer_mentors set certification_expires_at = null where id::text not like '{Ids.MentorPrefix}%'", ct);
                await ExecAsync("vacuum (analyze)", ct);
                tIndex.Increment(1);
            });
        return $"loaded {size.HistoryRows:N0} history rows, {size.Mentors + size.ExpiredMentors:N0} mentors, {size.Chapters:N0} chapters " +
               $"with binary COPY in {copyTime.TotalSeconds:F1} s ({size.HistoryRows / copyTime.TotalSeconds:N0} history rows/s incl. the other tables); " +
               $"with the primary key, indexes and vacuum {total.Elapsed.TotalSeconds:F1} s";
    }

    private async Task ExecAsync(string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }

    private NpgsqlConnection OpenForLoad()
    {
        var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand("set session_replication_role = replica", connection);
        command.ExecuteNonQuery();
        return connection;
    }

    private void CopyUsersAndChapters(ProgressTask task)
    {
        using var connection = OpenForLoad();
        using (var w = connection.BeginBinaryImport("copy public.organisations (id, name) from stdin (format binary)"))
        {
            for (var o = 1; o <= size.Organisations; o++)
            {
                w.StartRow();
                w.Write(Ids.Organisation(o), NpgsqlDbType.Uuid);
                w.Write($"Bench organisation {o}", NpgsqlDbType.Text);
            }
            w.Complete();
        }
        using (var w = connection.BeginBinaryImport("copy public.chapters (id, organisation_id, name) from stdin (format binary)"))
        {
            for (var c = 1; c <= size.Chapters; c++)
            {
                w.StartRow();
                w.Write(Ids.Chapter(c), NpgsqlDbType.Uuid);
                w.Write(Ids.Organisation(OrganisationOf(c)), NpgsqlDbType.Uuid);
                w.Write($"Chapter {c}", NpgsqlDbType.Text);
            }
            w.Complete();
        }
        using (var w = connection.BeginBinaryImport("copy auth.users (id, email) from stdin (format binary)"))
        {
            for (var n = 1; n <= size.Mentors + size.ExpiredMentors; n++)
            {
                w.StartRow();
                w.Write(Ids.MentorUser(n), NpgsqlDbType.Uuid);
                w.Write($"mentor{n}@bench.example.org", NpgsqlDbType.Text);
                if (n % 10_000 == 0) task.Increment(10_000);
            }
            for (var c = 1; c <= size.Chapters; c++)
            {
                w.StartRow();
                w.Write(Ids.Coordinator(c), NpgsqlDbType.Uuid);
                w.Write($"coordinator{c}@bench.example.org", NpgsqlDbType.Text);
            }
            foreach (var (reader, email) in new[] { (Ids.ManyChapterCoordinator, "many-chapters@bench.example.org"), (Ids.Stranger, "stranger@bench.example.org") })
            {
                w.StartRow();
                w.Write(reader, NpgsqlDbType.Uuid);
                w.Write(email, NpgsqlDbType.Text);
            }
            w.Complete();
        }
        using (var w = connection.BeginBinaryImport("copy public.coordinator_assignments (user_id, chapter_id) from stdin (format binary)"))
        {
            for (var c = 1; c <= size.Chapters; c++)
            {
                w.StartRow();
                w.Write(Ids.Coordinator(c), NpgsqlDbType.Uuid);
                w.Write(Ids.Chapter(c), NpgsqlDbType.Uuid);
            }
            // the timeline case's coordinator of many chapters (the stranger gets no assignment)
            for (var c = 1; c <= size.ManyChapters; c++)
            {
                w.StartRow();
                w.Write(Ids.ManyChapterCoordinator, NpgsqlDbType.Uuid);
                w.Write(Ids.Chapter(c), NpgsqlDbType.Uuid);
            }
            w.Complete();
        }
        task.Value = task.MaxValue;
    }

    /// <summary>
    /// Every mentor's history in time order across all mentors (as production appends it, so one mentor's
    /// rows are spread over the heap): initial_status first, then pause/resume by the mentor or a coordinator.
    /// </summary>
    private void CopyHistory(ProgressTask task, DateTime now, BenchStatus[] status, int[] count)
    {
        var rng = new Random(20261101);
        var start = now - HistorySpan;
        var step = (HistorySpan - TimeSpan.FromMinutes(1)).Ticks / Math.Max(1, size.HistoryRows);
        using var connection = OpenForLoad();
        using var w = connection.BeginBinaryImport(
            $"copy {History} (id, mentor_id, previous_status, new_status, changed_by, changed_at, reason) from stdin (format binary)");
        for (long i = 0; i < size.HistoryRows; i++)
        {
            var m = rng.Next(1, size.Mentors + 1);
            w.StartRow();
            w.Write(Guid.NewGuid(), NpgsqlDbType.Uuid);
            w.Write(Ids.Mentor(m), NpgsqlDbType.Uuid);
            string reason;
            if (count[m] == 0)
            {
                w.WriteNull();
                w.Write(BenchStatus.Active);
                w.WriteNull();
                reason = "initial_status";
                status[m] = BenchStatus.Active;
            }
            else
            {
                var byMentor = rng.Next(2) == 0;
                var pausing = status[m] == BenchStatus.Active;
                w.Write(status[m]);
                status[m] = pausing ? BenchStatus.Paused : BenchStatus.Active;
                w.Write(status[m]);
                w.Write(byMentor ? Ids.MentorUser(m) : Ids.Coordinator(ChapterOf(m)), NpgsqlDbType.Uuid);
                reason = (byMentor, pausing) switch
                {
                    (true, true) => "self_pause",
                    (true, false) => "self_resume",
                    (false, true) => "coordinator_manual_pause",
                    (false, false) => "coordinator_resume",
                };
            }
            count[m]++;
            w.Write(new DateTime(start.Ticks + i * step, DateTimeKind.Utc), NpgsqlDbType.TimestampTz);
            w.Write(reason, NpgsqlDbType.Text);
            if (i % 50_000 == 0) task.Value = i;
        }
        w.Complete();
        task.Value = task.MaxValue;
    }

    private void CopyMentors(ProgressTask task, DateTime now, BenchStatus[] status)
    {
        var rng = new Random(7);
        var all = size.Mentors + size.ExpiredMentors;
        using var connection = OpenForLoad();
        using (var w = connection.BeginBinaryImport(
                   "copy public.peer_mentors (id, user_id, organisation_id, display_name, status, certification_expires_at) from stdin (format binary)"))
        {
            for (var n = 1; n <= all; n++)
            {
                var expired = n > size.Mentors;
                w.StartRow();
                w.Write(Ids.Mentor(n), NpgsqlDbType.Uuid);
                w.Write(Ids.MentorUser(n), NpgsqlDbType.Uuid);
                w.Write(Ids.Organisation(OrganisationOf(ChapterOf(n))), NpgsqlDbType.Uuid);
                w.Write($"Mentor {n}", NpgsqlDbType.Text);
                w.Write(expired ? BenchStatus.Active : status[n]);
                w.Write(expired ? now.AddDays(-rng.Next(1, 365)).AddMinutes(-rng.Next(1440)) : now.AddDays(rng.Next(30, 400)), NpgsqlDbType.TimestampTz);
                if (n % 10_000 == 0) task.Increment(10_000);
            }
            w.Complete();
        }
        using (var w = connection.BeginBinaryImport("copy public.chapter_memberships (mentor_id, chapter_id) from stdin (format binary)"))
        {
            for (var n = 1; n <= all; n++)
            {
                var c = ChapterOf(n);
                w.StartRow();
                w.Write(Ids.Mentor(n), NpgsqlDbType.Uuid);
                w.Write(Ids.Chapter(c), NpgsqlDbType.Uuid);
                if (n % 10 == 0)
                {
                    // one mentor in ten is also in a second chapter of the same organisation
                    w.StartRow();
                    w.Write(Ids.Mentor(n), NpgsqlDbType.Uuid);
                    w.Write(Ids.Chapter(SecondChapterOf(n)), NpgsqlDbType.Uuid);
                }
                if (n % 10_000 == 0) task.Increment(10_000);
            }
            w.Complete();
        }
        task.Value = task.MaxValue;
    }

    public int ChapterOf(long mentor) => (int)((mentor - 1) % size.Chapters) + 1;
    public int SecondChapterOf(long mentor) => (ChapterOf(mentor) - 1 + size.Organisations) % size.Chapters + 1;
    public int OrganisationOf(int chapter) => (chapter - 1) % size.Organisations + 1;
}
