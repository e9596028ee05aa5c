using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>Copies of the repository's project with pending migrations of each kind the rehearsal must judge.</summary>
public static class RehearsalProjects
{
    public const string Additive = "20270101000000_add_nullable_note";
    public const string Rewrite = "20270101000100_add_not_null_token";
    public const string PlainIndex = "20270101000200_history_reason_index";
    public const string ConcurrentIndex = "20270101000300_history_changed_by_index";
    public const string VolatileDefault = "20270101000150_history_seen_at_clock";
    public const string ValidatedCheck = "20270101000250_history_reason_check";

    /// <summary>
    /// Every kind, in this order: additive nullable column, NOT NULL with a volatile default, a volatile default on the
    /// history (rewrite), plain index, validated CHECK on the history (full scan under ACCESS EXCLUSIVE), concurrent index.
    /// </summary>
    public static TempProject EveryKind()
    {
        var project = TempProject.CopyOfRepository();
        AddAdditive(project);
        project.AddMigration("20270101000100", "add_not_null_token",
            // A volatile default rewrites the table; the md5 over a long text makes each row cost ~30 µs, so the rewrite of
            // 10,000 mentors stays well past the test's --max-block of 100 ms on a fast, quiet machine too.
            "alter table public.peer_mentors add column rehearsal_token uuid not null default md5(repeat(gen_random_uuid()::text, 400))::uuid;\n",
            "alter table public.peer_mentors drop column rehearsal_token;\n");
        project.AddMigration("20270101000150", "history_seen_at_clock",
            "alter table public.peer_mentor_status_history add column rehearsal_seen_at timestamptz default clock_timestamp();\n",
            "alter table public.peer_mentor_status_history drop column rehearsal_seen_at;\n");
        AddPlainIndex(project);
        project.AddMigration("20270101000250", "history_reason_check",
            "alter table public.peer_mentor_status_history add constraint peer_mentor_status_history_reason_rehearsed check (md5(repeat(reason, 20) || id::text) <> '');\n",
            "alter table public.peer_mentor_status_history drop constraint peer_mentor_status_history_reason_rehearsed;\n");
        AddConcurrent(project);
        return project;
    }

    /// <summary>Only the plain index build on the history.</summary>
    public static TempProject PlainIndexOnly()
    {
        var project = TempProject.CopyOfRepository();
        AddPlainIndex(project);
        return project;
    }

    private static void AddPlainIndex(TempProject project) =>
        project.AddMigration("20270101000200", "history_reason_index",
            "create index peer_mentor_status_history_reason_idx on public.peer_mentor_status_history (reason, changed_at, mentor_id);\n",
            "drop index public.peer_mentor_status_history_reason_idx;\n");

    /// <summary>Only what is safe online: the additive column and the concurrent index.</summary>
    public static TempProject SafeOnly()
    {
        var project = TempProject.CopyOfRepository();
        AddAdditive(project);
        AddConcurrent(project);
        return project;
    }

    private static void AddAdditive(TempProject project) =>
        project.AddMigration("20270101000000", "add_nullable_note",
            "alter table public.peer_mentors add column rehearsal_note text null;\n",
            "alter table public.peer_mentors drop column rehearsal_note;\n");

    private static void AddConcurrent(TempProject project) =>
        project.AddMigration("20270101000300", "history_changed_by_index",
            "create index concurrently if not exists peer_mentor_status_history_changed_by_at_idx on public.peer_mentor_status_history (changed_by, changed_at);\n",
            "drop index concurrently if exists public.peer_mentor_status_history_changed_by_at_idx;\n");
}
