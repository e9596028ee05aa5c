using MentorStatus.Tooling.Lint;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Tests.Lint;

/// <summary>
/// What a file does to the replay's own session must not crash or stop the lint: pg_dump's COPY … FROM stdin with inline
/// rows, a statement that terminates our backend, a statement_timeout that would cancel the lint's own catalog reads.
/// Two files with one version are refused, as `db up` refuses them.
/// </summary>
public sealed class LintResilienceTests
{
    private const string NoRollbacks = "[lint]\ndeploy = \"supabase db push\"\nrequire_rollbacks = false\n";

    [Fact]
    public async Task CopyFromStdinWithInlineRowsReplaysAndTheRestIsLinted()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "dump",
                "create table public.items (id bigint primary key, name text);\n" +
                "alter table public.items enable row level security;\n" +
                "copy public.items (id, name) from stdin;\n1\tone\n2\ttwo; with a semicolon\n\\.\n" +
                "alter table public.items add constraint items_id_positive check (id > 0);\n", null),
            ("20260101000100", "next", "create index items_name_idx on public.items (name);\n", null),
        ], NoRollbacks);
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Equal(2, report.Migrations.Count);
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("next"));
    }

    [Fact]
    public async Task CopyRowsTheTableRefusesAreOneFindingOnTheCopy()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "dump",
                "create table public.items (id bigint primary key, name text);\n" +
                "alter table public.items enable row level security;\n" +
                "copy public.items (id, name) from stdin;\nnot a number\tone\n\\.\n" +
                "create table public.more (id bigint primary key);\n", null),
            ("20260101000100", "next", "create index more_id_idx on public.more (id);\n", null),
        ], NoRollbacks);
        var failed = Assert.Single(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Equal(3, failed.Line);
        Assert.Contains("22P02", failed.Message);
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("next"));
    }

    [Fact]
    public async Task StatementThatTerminatesTheReplaySessionIsOneFindingAndTheRestIsLinted()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "base", "create table public.items (id bigint primary key, name text);\nalter table public.items enable row level security;\n", null),
            ("20260101000100", "terminate",
                "create table public.more (id bigint primary key, item_id bigint);\n" +
                "alter table public.more enable row level security;\n" +
                "select pg_terminate_backend(pg_backend_pid());\n" +
                "create index items_name_idx on public.items (name);\n" +
                "alter table public.more add column note text not null;\n", null),
            ("20260101000200", "after", "create index more_item_idx on public.more (item_id);\n", null),
        ], NoRollbacks);
        var failed = Assert.Single(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Contains("terminate", failed.File);
        Assert.Equal(3, failed.Line);
        Assert.Contains("57P01", failed.Message);
        // after the session ended: the statements before it were replayed again, the ones after it are still linted
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("terminate") && f.Line == 4);
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("after"));
        Assert.Equal(3, report.Migrations.Count);
        Assert.Contains(report.Migrations[1].Notes, n => n.Contains("ended the replay's session"));
    }

    [Theory]
    [InlineData("set statement_timeout = '1ms'")]
    [InlineData("set local statement_timeout to 1")]
    [InlineData("set idle_in_transaction_session_timeout = '1ms'")]
    public async Task SessionTimeoutsAFileSetsDoNotStopTheLint(string setting)
    {
        var body = string.Concat(Enumerable.Range(0, 30).Select(i => $"comment on table public.items is 'step {i}';\n"));
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "base", "create table public.items (id bigint primary key, name text);\nalter table public.items enable row level security;\n", null),
            ("20260101000100", "timeouts", setting + ";\n" + body + "select pg_sleep(0.05);\ncreate index items_name_idx on public.items (name);\n", null),
            ("20260101000200", "after", "alter table public.items add column note text not null;\n", null),
        ], NoRollbacks);
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("timeouts"));
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS002" && f.File.Contains("after"));
        Assert.Contains(report.Migrations[1].Notes, n => n.Contains("recorded, not replayed"));
    }

    [Fact]
    public async Task TwoFilesWithOneVersionAreRefusedAsDbUpRefusesThem()
    {
        var error = await Assert.ThrowsAsync<InvalidMigrationFileException>(() => LintHarness.LintProjectAsync(
        [
            ("20260101000000", "first", "create table public.a (id bigint primary key);\n", null),
            ("20260101000000", "second", "create table public.b (id bigint primary key);\n", null),
        ], NoRollbacks));
        Assert.Contains("20260101000000_first.sql", error.Message);
        Assert.Contains("20260101000000_second.sql", error.Message);
        Assert.Contains("own timestamp", error.Message);
    }

    /// <summary>What real Supabase projects create and use, hosted Supabase has, and Debian's PostgreSQL 15 lacks: each replays.</summary>
    [Fact]
    public async Task HostedSupabaseExtensionsAndObjectsReplay()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "ai",
                "create extension if not exists vector with schema extensions;\n" +
                "create table public.documents (id bigint primary key generated always as identity, content text, embedding extensions.vector(1536));\n" +
                "alter table public.documents enable row level security;\n" +
                "create index on public.documents using hnsw (embedding extensions.vector_cosine_ops) with (m = 16, ef_construction = 64);\n" +
                "create index documents_ivf on public.documents using ivfflat (embedding vector_l2_ops) with (lists = 100);\n" +
                "create or replace function public.match_documents(query_embedding extensions.vector(1536), match_count int)\n" +
                "returns setof public.documents language sql stable set search_path = '' as $$\n" +
                "  select * from public.documents order by documents.embedding operator(extensions.<=>) query_embedding limit match_count $$;\n" +
                "select '[1,2,3]'::vector <-> '[1,2,4]'::vector, '[1,2,3]'::vector <#> '[3,2,1]', vector_dims('[1,2]'::vector);\n", null),
            ("20260101000100", "integrations",
                "create extension if not exists pg_net with schema extensions;\n" +
                "create extension if not exists http with schema extensions;\n" +
                "create extension if not exists pgjwt with schema extensions;\n" +
                "create extension if not exists pg_jsonschema with schema extensions;\n" +
                "create extension if not exists wrappers with schema extensions;\n" +
                "create extension if not exists supabase_vault;\n" +
                "create extension if not exists pg_graphql;\n" +
                "create extension if not exists pgsodium;\n" +
                "create extension if not exists pg_cron with schema extensions;\n" +
                "create foreign data wrapper stripe_wrapper handler extensions.stripe_fdw_handler validator extensions.stripe_fdw_validator;\n" +
                "create server stripe_server foreign data wrapper stripe_wrapper options (api_key_id 'key', api_url 'https://api.stripe.com/v1');\n" +
                "create schema stripe;\n" +
                "create foreign table stripe.customers (id text, email text) server stripe_server options (object 'customers');\n" +
                "select vault.create_secret('s3cret', 'service_key');\n" +
                "select net.http_post(url := 'https://example.invalid/hook', body := '{}'::jsonb);\n" +
                "select extensions.sign('{\"sub\": \"1\"}'::json, 'secret');\n" +
                "select cron.schedule('nightly', '0 3 * * *', $$select 1$$);\n" +
                "create table public.events (id bigint primary key, payload jsonb check (extensions.json_matches_schema('{}', payload::json)));\n" +
                "alter table public.events enable row level security;\n" +
                "alter publication supabase_realtime add table public.events;\n" +
                "create trigger events_webhook after insert on public.events for each row\n" +
                "  execute function supabase_functions.http_request('https://example.invalid/hook', 'POST', '{}', '{}', '1000');\n" +
                "comment on schema public is e'@graphql({\"inflect_names\": true})';\n" +
                "select count(*) from auth.schema_migrations;\n" +
                "grant execute on function auth.email() to supabase_auth_admin;\n", null),
        ], NoRollbacks);
        Assert.True(!report.Findings.Any(f => f.Rule.Id == "MS000"), LintReportFormats.Text(report));
        var notes = report.Migrations.SelectMany(m => m.Notes).ToList();
        foreach (var extension in new[] { "vector", "pg_net", "http", "pgjwt", "wrappers", "pg_cron" })
            Assert.Contains(notes, n => n.Contains(extension + " cannot be created") && n.Contains("stand-in"));
    }
    /// <summary>
    /// The rest of hosted Supabase's extensions a large real project's baseline (a `supabase db dump`) creates: pgmq with
    /// its queues' tables named by later statements, HypoPG and index_advisor, pg_tle, plpgsql_check. Each replays (stand-in
    /// or real) and the statements after it are linted, not MS000 (five MS000 and eleven after them before).
    /// </summary>
    [Fact]
    public async Task QueuesAdvisorsAndTrustedLanguageExtensionsReplay()
    {
        var report = await LintHarness.LintProjectAsync(
        [
            ("20251231000000", "jobs", "create table public.jobs (id bigint primary key, payload jsonb);\nalter table public.jobs enable row level security;\n", null),
            ("20260101000000", "baseline",
                "create extension if not exists \"hypopg\" with schema \"extensions\";\n" +
                "create extension if not exists \"index_advisor\" with schema \"extensions\";\n" +
                "create extension if not exists \"pg_tle\";\n" +
                "create schema if not exists \"pgmq\";\n" +
                "create extension if not exists \"pgmq\" with schema \"pgmq\";\n" +
                "create extension if not exists \"plpgsql_check\" with schema \"extensions\";\n" +
                "select pgmq.create('cron_email');\n" +
                "select pgmq.create_unlogged('replicate_data');\n" +
                "select pgmq.send('cron_email', '{\"to\": \"x\"}'::jsonb);\n" +
                "create function public.queue_depth() returns bigint language sql stable set search_path = '' as $$\n" +
                "  select count(*) from pgmq.q_cron_email $$;\n" +
                "create function public.cleanup_queues() returns void language plpgsql set search_path = '' as $$\n" +
                "declare q record; begin for q in select queue_name from pgmq.list_queues() loop\n" +
                "  execute format('delete from pgmq.a_%I where archived_at < now()', q.queue_name); end loop; end $$;\n" +
                "select public.cleanup_queues();\n" +
                "select * from pgmq.read('cron_email', 30, 10);\n" +
                "select pgmq.archive('cron_email', 1::bigint), pgmq.delete('cron_email', 2::bigint), pgmq.purge_queue('replicate_data');\n" +
                "select * from pgmq.metrics_all();\n" +
                "select * from extensions.hypopg_create_index('create index on public.jobs (payload)');\n" +
                "select * from extensions.index_advisor('select * from public.jobs where id = 1');\n" +
                "select pgtle.install_extension('my_tle', '1.0', 'a trusted language extension', $tle$ select 1 $tle$);\n" +
                "select * from extensions.plpgsql_check_function('public.cleanup_queues()');\n" +
                "create index jobs_payload_idx on public.jobs (payload);\n", null),
        ], NoRollbacks);
        Assert.True(!report.Findings.Any(f => f.Rule.Id == "MS000"), LintReportFormats.Text(report));
        // the statements after the extensions are linted: the non-concurrent index is found
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("baseline") && f.Line == 23);
        var notes = report.Migrations.SelectMany(m => m.Notes).ToList();
        foreach (var extension in new[] { "pgmq", "index_advisor", "pg_tle" }) // never in Debian: always the stand-in
            Assert.Contains(notes, n => n.Contains(extension + " cannot be created") && n.Contains("stand-in"));
    }

    [Fact]
    public async Task DeallocateOrDiscardInAFileDoesNotBreakTheLintsOwnReads()
    {
        // The lint prepares its catalog reads on the replay session; a file's DEALLOCATE ALL drops them server-side.
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "base", "create table public.items (id bigint primary key, name text);\nalter table public.items enable row level security;\n", null),
            ("20260101000100", "deallocate",
                "deallocate all;\n" +
                "create table public.more (id bigint primary key);\n" +
                "alter table public.more enable row level security;\n" +
                "create index items_name_idx on public.items (name);\n", null),
            ("20260101000200", "discard", "discard plans;\ncreate index items_id_name_idx on public.items (id, name);\n", null),
        ], NoRollbacks);
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS000");
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("deallocate") && f.Line == 4);
        Assert.Contains(report.Findings, f => f.Rule.Id == "MS001" && f.File.Contains("discard") && f.Line == 2);
    }

    [Fact]
    public async Task DropIndexConcurrentlyRollbackIsCheckedAsOnACopy()
    {
        // Such a rollback is tried as DROP INDEX in a transaction; what CONCURRENTLY refuses (a partitioned table's index)
        // and what does not restore the schema are still found.
        var report = await LintHarness.LintProjectAsync(
        [
            ("20260101000000", "base",
                "create table public.parted (id bigint not null, k text) partition by range (id);\n" +
                "create table public.items (id bigint primary key, name text);\n" +
                "alter table public.items enable row level security;\n", "drop table public.items;\ndrop table public.parted;\n"),
            ("20260101000100", "parted_index", "create index parted_k_idx on public.parted (k);\n", "drop index concurrently if exists public.parted_k_idx;\n"),
            ("20260101000200", "index_and_column",
                "alter table public.items add column note text;\ncreate index items_name_idx on public.items (name);\n",
                "drop index concurrently public.items_name_idx;\n"),
            ("20260101000300", "restored", "create index items_id_name_idx on public.items (id, name);\n",
                "drop index concurrently if exists items_id_name_idx;\n"),
        ], "[lint]\ndeploy = \"supabase db push\"\n");
        var parted = Assert.Single(report.Findings, f => f.Rule.Id == "MS016" && f.File.Contains("parted_index"));
        Assert.Contains("0A000", parted.Message);
        var column = Assert.Single(report.Findings, f => f.Rule.Id == "MS016" && f.File.Contains("index_and_column"));
        Assert.Contains("column public.items.note", column.Message);
        Assert.DoesNotContain(report.Findings, f => f.Rule.Id == "MS016" && f.File.Contains("restored"));
    }
}
