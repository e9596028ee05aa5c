using MentorStatus.Tooling.Lint;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// Files the lint must get through without crashing: its own BEGIN/COMMIT, a statement that fails on replay, a file that
/// cannot be split, and the calls real Supabase projects make (pgcrypto unqualified, storage policies, pg_cron).
/// </summary>
public sealed class LintReplayTests
{
    private const string Table = "create table public.items (id bigint primary key, name text);\nalter table public.items enable row level security;\n";

    [Fact]
    public async Task FileWithItsOwnBeginCommitIsAFindingAndTheNextFileIsStillLinted()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "own_transaction", "begin;\n" + Table + "commit;\n", "drop table public.items;\n"),
            ("20260101000100", "next", "create index items_name_idx on public.items (name);\n", "drop index public.items_name_idx;\n"),
        ]);
        var control = report.Findings.Where(f => f.Rule.Id == "MS026").OrderBy(f => f.Line).ToList();
        Assert.Equal([1, 4], control.Select(f => f.Line));
        Assert.All(control, f => Assert.Contains("own_transaction", f.File));
        Assert.Equal(2, report.Migrations.Count);
        // the table the first file created is there for the second: its index on an existing table is found
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("next"));
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS000");
        Assert.True(report.Failed);
    }

    [Fact]
    public async Task ReplayFailureIsAFindingOnThatStatementAndEverythingElseIsStillLinted()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "base", Table, "drop table public.items;\n"),
            ("20260101000100", "broken",
                "select public.function_nobody_created(1);\n" +
                "create index items_name_idx on public.items (name);\n" +
                "create table public.more (id bigint primary key);\n",
                "drop table public.more;\ndrop index public.items_name_idx;\n"),
            ("20260101000200", "after", "alter table public.more add column note text not null;\n", "alter table public.more drop column note;\n"),
        ]);
        var failed = Assert.Single(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Contains("broken", failed.File);
        Assert.Equal(1, failed.Line);
        Assert.Contains("42883", failed.Message); // undefined_function, with the server's message
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("broken") && f.Line == 2);
        // the third file sees public.more, which the broken file's later statement created
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS002" && f.File.Contains("after"));
        Assert.Equal(3, report.Migrations.Count);
        Assert.Contains(report.Notes, n => n.Contains("broken") && n.Contains("does not apply cleanly"));
    }

    [Fact]
    public async Task FileThatCannotBeSplitIsAFindingNotACrash()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "unterminated", "create table public.items (id bigint primary key);\nselect 'no end;\n", null),
            ("20260101000100", "next", Table, "drop table public.items;\n"),
        ], "[lint]\nrequire_rollbacks = false\n");
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS000" && f.File.Contains("unterminated") && f.Message.Contains("cannot be split"));
        Assert.Equal(2, report.Migrations.Count);
    }

    [Fact]
    public async Task SupabaseShapedCallsReplay()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "supabase_shapes",
                "create table public.tokens (id uuid primary key default uuid_generate_v4(), secret text default encode(gen_random_bytes(16), 'hex'),\n" +
                "  digest text default encode(digest('x', 'sha256'), 'hex'));\n" +
                "alter table public.tokens enable row level security;\n" +
                "insert into storage.buckets (id, name) values ('docs', 'docs');\n" +
                "create policy docs_read on storage.objects for select to authenticated using (bucket_id = 'docs' and (storage.foldername(name))[1] = (select auth.uid())::text);\n" +
                "create extension if not exists pg_cron with schema extensions;\n" +
                "select cron.schedule('nightly', '0 3 * * *', $$select 1$$);\n",
                null),
        ], "[lint]\ndeploy = \"supabase db push\"\nrequire_rollbacks = false\n");
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Contains(report.Migrations.Single().Notes, n => n.Contains("pg_cron") && n.Contains("stand-in"));
    }
}
