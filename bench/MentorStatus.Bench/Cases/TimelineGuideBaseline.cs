using Npgsql;

namespace MentorStatus.Bench.Cases;

/// <summary>
/// The baseline a Supabase team would write instead of the product's timeline: the history's SELECT policy for
/// "a coordinator of the mentor's chapter" as Supabase's RLS guide teaches it (a per-row <c>exists</c> over the
/// memberships and the coordinator assignments, <c>(select auth.uid())</c> wrapped so it runs once, the policy
/// named to one role, every policy column leading an index), read the way a PostgREST client reads a table.
///
/// It is installed on the bench cluster only, on the SAME table (same heap, same indexes, same 10 M rows and the
/// same shared buffers as the product's read), for a role of its own: <see cref="Role"/> stands for
/// <c>authenticated</c> under the guide's policies. PostgreSQL applies a policy only to the roles it names (and
/// their members), so that role sees the guide's policy and none of the product's, while <c>authenticated</c> sees
/// the product's and none of the guide's: both read the one table in the same run, alternately, with no DDL between
/// reads. A copy of the table under another schema would have doubled the heap the 1 GB of shared buffers must
/// hold, so the two sides would not have read the same cached pages.
///
/// The guide's join tables get a <c>using (true)</c> policy for that role: the subquery then costs its index probes
/// and nothing else. A real deployment would have its own policies on those tables, evaluated inside this one
/// (the guide: "any join tables in RLS will also need to run their RLS"), so this baseline is the guide's best case.
/// Its rule is also narrower than the product's (no mentor reading their own history, no soft-delete check): again
/// cheaper for the guide, never dearer.
/// </summary>
public static class TimelineGuideBaseline
{
    /// <summary>The role the guide's reads run as: <c>authenticated</c>'s stand-in under the guide's policies.</summary>
    public const string Role = "guide_authenticated";

    // Written as the guide writes it: the row's mentor joined to the caller's assignments, auth.uid() wrapped
    // in a select (one InitPlan per statement, not a call per row), "to <role>" so no other role evaluates it.
    public const string InstallSql = $"""
        create role {Role} nologin noinherit;
        grant usage on schema public, auth to {Role};
        grant select on public.peer_mentor_status_history, public.chapter_memberships, public.coordinator_assignments to {Role};

        create policy guide_coordinators_read_their_chapters_history on public.peer_mentor_status_history
            for select
            to {Role}
            using (
                exists (
                    select 1
                    from public.chapter_memberships m
                    join public.coordinator_assignments a on a.chapter_id = m.chapter_id
                    where m.mentor_id = peer_mentor_status_history.mentor_id
                      and a.user_id = (select auth.uid())
                      and a.revoked_at is null));

        create policy guide_join_table_read on public.chapter_memberships for select to {Role} using (true);
        create policy guide_join_table_read on public.coordinator_assignments for select to {Role} using (true);
        """;

    /// <summary>Takes the baseline out again: later cases and a <c>--keep</c> inspection see the schema the migrations leave.</summary>
    public const string UninstallSql = $"""
        drop policy if exists guide_coordinators_read_their_chapters_history on public.peer_mentor_status_history;
        drop policy if exists guide_join_table_read on public.chapter_memberships;
        drop policy if exists guide_join_table_read on public.coordinator_assignments;
        revoke all on public.peer_mentor_status_history, public.chapter_memberships, public.coordinator_assignments from {Role};
        revoke all on schema public, auth from {Role};
        drop role if exists {Role};
        """;

    /// <summary>
    /// What a PostgREST client sends for <c>.from('peer_mentor_status_history').select().eq('mentor_id', id)
    /// .order('changed_at', { ascending: false }).limit(n)</c>, without PostgREST's JSON wrapping (the product's
    /// rpc is measured without it too). Both sides bind the same four parameters; $2 and $3 (the product's
    /// cursor, null on a first page) go unused here.
    /// </summary>
    public const string ReadSql = """
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id
        from public.peer_mentor_status_history
        where mentor_id = $1
        order by changed_at desc
        limit $4
        """;

    /// <summary>The product's read as the app sends it through PostgREST: the rpc <c>public.mentor_timeline</c> (docs/app.md).</summary>
    public const string ProductRpcSql = """
        select id, mentor_id, previous_status, new_status, changed_by, changed_at, reason, job_run_id
        from public.mentor_timeline($1, $2, $3, $4)
        """;

    /// <summary>
    /// The guide's index rule ("add indexes on the columns your policies filter on"): each column the policy and
    /// its subquery filter on, with the index that leads with it (null when none does). The schema's indexes
    /// already lead with every one of them, so the baseline adds none.
    /// </summary>
    private static readonly (string Table, string Column)[] PolicyColumns =
    [
        ("peer_mentor_status_history", "mentor_id"),
        ("chapter_memberships", "mentor_id"),
        ("coordinator_assignments", "user_id"),
        ("coordinator_assignments", "chapter_id"),
    ];

    private const string LeadingIndexSql = """
        select i.relname
        from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0]
        where x.indrelid = ('public.' || $1)::regclass
          and a.attname = $2
          and x.indisvalid
          and x.indpred is null
        order by i.relname
        limit 1
        """;

    public static async Task InstallAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(InstallSql);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Each policy column with the index that serves it; throws when one has none (the guide's rule not followed).</summary>
    public static async Task<List<string>> PolicyIndexesAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var (table, column) in PolicyColumns)
        {
            await using var command = dataSource.CreateCommand(LeadingIndexSql);
            command.Parameters.Add(new() { Value = table });
            command.Parameters.Add(new() { Value = column });
            var index = await command.ExecuteScalarAsync(ct) as string
                ?? throw new InvalidOperationException($"no index leads with {table}.{column}: the guide's baseline would miss its own index rule.");
            found.Add($"{table}.{column}: {index}");
        }
        return found;
    }
}
