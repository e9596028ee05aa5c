using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Library;

/// <summary>
/// The MS101 statement trigger (no status without its history record) must stay linear in the rows one
/// statement changes (issue 13): before 20261127120100 it joined its transition tables by a nested loop under
/// a LIMIT 1, so a batch of n mentors compared n² pairs (943 ms for 2,000). PL/pgSQL caches the trigger query's
/// plan for the session, planned for the transition tables of the first call, so the test first makes a
/// one-row change on the same connection, then a batch, and reads the batch's trigger plan from auto_explain.
/// </summary>
public sealed class StatusCheckTriggerPlanTests
{
    private const int Mentors = 300;

    [Fact]
    public async Task BatchAfterAOneRowChange_ReadsEachTransitionTableOnce()
    {
        var db = await LibraryDatabase.CreateAsync("ms101_plan");
        await using var _ = db;
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        await db.CoordinatorAsync([chapter]);
        await db.DataSource.ExecuteAsync("""
            insert into public.peer_mentors (organisation_id, display_name, certification_expires_at)
            select $1, 'mentor ' || i, now() - make_interval(days => i) from generate_series(1, $2) i
            """, org, Mentors + 1);
        var first = await db.DataSource.ScalarAsync<Guid>("select id from public.peer_mentors order by certification_expires_at limit 1");
        var run = await db.DataSource.ScalarAsync<Guid>(
            "insert into public.status_job_runs (job_name, as_of, batch_size) values ('certification_expiry', now(), $1) returning id", Mentors);

        await using var connection = await db.DataSource.OpenConnectionAsync();
        var plans = new List<string>();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        foreach (var setting in new[]
                 {
                     "load 'auto_explain'", "set auto_explain.log_min_duration = 0", "set auto_explain.log_analyze = on",
                     "set auto_explain.log_timing = off", "set auto_explain.log_nested_statements = on", "set auto_explain.log_level = notice",
                 })
            await Exec(connection, setting);

        // one row: the trigger's plan is cached with one-row transition tables
        await Exec(connection, "select mentor_status_private.record_system_status_change($1, 'paused', 'certification_expired', null, 'trigger-plan-test')", first);
        Assert.Contains(plans, p => p.Contains("new_mentors", StringComparison.Ordinal));
        plans.Clear();
        // then the job's statement pausing the other 300 in one batch, on the same session
        var paused = await Scalar<int>(connection, "select mentors_paused from mentor_status_private.pause_expired_certifications($1, now(), $2)", run, Mentors);
        Assert.Equal(Mentors, paused);

        var trigger = Assert.Single(plans, p => p.Contains("new_mentors", StringComparison.Ordinal) && p.Contains("old_mentors", StringComparison.Ordinal));
        var scans = trigger.Split('\n').Where(l => l.Contains("Named Tuplestore Scan", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, scans.Count); // old_mentors and new_mentors
        Assert.All(scans, l => Assert.Contains($"rows={Mentors} loops=1)", l, StringComparison.Ordinal));
        Assert.DoesNotContain("Rows Removed by Join Filter", trigger, StringComparison.Ordinal);
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var v in values) command.Parameters.Add(new NpgsqlParameter { Value = v });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
