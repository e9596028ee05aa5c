using MentorStatus.Tooling.Declarative;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Schema;

/// <summary>
/// `db diff -f NAME`: a change made in a copy of supabase/schemas becomes a migration and a rollback. Applied by the
/// engine after the repository's migrations, the migration makes the check agree; its rollback brings the catalog back.
/// </summary>
public sealed class MigrationDraftTests
{
    private static readonly DateTimeOffset Now = new(2099, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static TheoryData<string, string, string, string> Changes() => new()
    {
        // kind, file, find, replacement
        { "function body", "schemas/60_expiry_job.sql", "interval '5 minutes'", "interval '6 minutes'" },
        { "policy", "schemas/90_policies_and_grants.sql", "    using (user_id = (select auth.uid()));",
          "    using (user_id = (select auth.uid()) and read_at is null);" },
        { "grant", "schemas/90_policies_and_grants.sql", "to service_role;\n\n-- Functions:",
          "to service_role;\ngrant select on table public.status_job_runs to authenticated;\n\n-- Functions:" },
        { "comment", "schemas/10_types_and_tables.sql", "'A volunteer organisation. Owns chapters and peer mentors.'",
          "'A volunteer organisation: it owns chapters and peer mentors.'" },
        { "new column", "schemas/10_types_and_tables.sql", "    language text,\n    constraint organisations_pkey",
          "    language text,\n    website text,\n    constraint organisations_pkey" },
        { "new table", "schemas/10_types_and_tables.sql", "-- Erasure records",
          "create table public.mentor_notes (\n    id uuid primary key default gen_random_uuid(),\n" +
          "    mentor_id uuid not null references public.peer_mentors (id) on delete cascade,\n    note text not null\n);\n" +
          "alter table public.mentor_notes enable row level security;\n" +
          "create index mentor_notes_mentor_id_idx on public.mentor_notes (mentor_id);\n" +
          "comment on table public.mentor_notes is 'Notes about a mentor.';\n\n-- Erasure records" },
        { "new index on an existing table", "schemas/10_types_and_tables.sql", "-- Erasure records",
          "create index organisations_name_idx on public.organisations using btree (name);\n\n-- Erasure records" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task TheDraftMakesTheCheckAgreeAndItsRollbackRestoresTheCatalog(string kind, string file, string find, string replacement)
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Edit(file, find, replacement);
        var server = (await TestCluster.GetAsync()).Target();

        DraftResult draft;
        await using (var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, server))
            draft = await MigrationDraft.WriteAsync(bench, "schema_change", Now);
        Assert.True(draft.Complete, $"{kind}: {string.Join("\n", draft.Todo.Concat(draft.RollbackTodo))}");
        Assert.NotEmpty(draft.Files);
        Assert.All(draft.Files, f => Assert.StartsWith("2099010203040", Path.GetFileName(f)));

        // The engine applies the new files after the repository's migrations: then the check agrees.
        var target = await TestDatabases.MigratedAsync("draft_" + kind);
        await using (var dataSource = target.CreateDataSource())
        {
            var applied = await new MigrationRunner(dataSource, new MigrationSource(project.Layout)).UpAsync();
            Assert.Equal(draft.Files.Count, applied.Count);
        }
        await using (var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, server))
        {
            var after = await bench.CompareAsync();
            Assert.True(after.Agrees, $"{kind}: " + after.Describe());
        }

        // Its rollback restores the catalog the migrations before it left.
        var reference = await TestDatabases.MigratedAsync("draft_ref");
        await using (var dataSource = target.CreateDataSource())
            await new MigrationRunner(dataSource, new MigrationSource(project.Layout)).DownAsync(draft.Files.Count);
        await using var restored = target.CreateDataSource();
        await using var original = reference.CreateDataSource();
        var back = await SchemaComparison.CompareAsync(original, restored, ["public"]);
        Assert.True(back.Agrees, $"{kind}: " + back.Describe("the migrations", "the rollback"));
    }

    [Fact]
    public async Task AFunctionChangeIsCreateOrReplaceAndTheRollbackRestoresThePreviousBody()
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Edit("schemas/60_expiry_job.sql", "interval '5 minutes'", "interval '6 minutes'");
        await using var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, (await TestCluster.GetAsync()).Target());
        var draft = await MigrationDraft.WriteAsync(bench, "clock_skew_six_minutes", Now);

        var migration = Assert.Single(draft.Files);
        var forward = await File.ReadAllTextAsync(migration);
        var rollback = await File.ReadAllTextAsync(Path.Combine(project.Layout.RollbacksDirectory, Path.GetFileName(migration)));
        Assert.Contains("CREATE OR REPLACE FUNCTION mentor_status_private.refuse_as_of_in_the_future", forward);
        Assert.Contains("interval '6 minutes'", forward);
        Assert.DoesNotContain("interval '5 minutes'", forward);
        Assert.Contains("interval '5 minutes'", rollback);
    }

    [Fact]
    public async Task AnIndexOnAnExistingTableIsBuiltConcurrentlyAloneInItsFile()
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Edit("schemas/10_types_and_tables.sql", "-- Erasure records",
            "create index organisations_name_idx on public.organisations using btree (name);\n\n-- Erasure records");
        await using var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, (await TestCluster.GetAsync()).Target());
        var draft = await MigrationDraft.WriteAsync(bench, "organisations_by_name", Now);

        var file = MigrationFile.Load(Assert.Single(draft.Files), "index file");
        Assert.True(file.IsNonTransactional, "a concurrent index build alone in its file");
        Assert.Contains("CREATE INDEX CONCURRENTLY organisations_name_idx ON public.organisations", file.Statements[0].Text);
        Assert.EndsWith("_organisations_by_name_index_organisations_name_idx.sql", draft.Files[0]);
    }

    [Fact]
    public async Task WhatItCannotWriteIsATodoThatRefusesToRun()
    {
        using var project = DeclarativeProjects.CopyOfRepository();
        project.Edit("schemas/10_types_and_tables.sql", "    display_name text not null,", "    display_name character varying(200) not null,");
        await using (var bench = await DeclarativeWorkbench.CreateAsync(project.Layout, (await TestCluster.GetAsync()).Target()))
        {
            var draft = await MigrationDraft.WriteAsync(bench, "display_name_limit", Now);
            Assert.False(draft.Complete);
            Assert.Contains(draft.Todo, t => t.Contains("public.peer_mentors.display_name", StringComparison.Ordinal) && t.Contains("type change", StringComparison.Ordinal));
            var text = await File.ReadAllTextAsync(Assert.Single(draft.Files));
            Assert.Contains("-- TODO:", text);
        }

        var target = await TestDatabases.MigratedAsync("draft_todo");
        await using var dataSource = target.CreateDataSource();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => new MigrationRunner(dataSource, new MigrationSource(project.Layout)).UpAsync());
        Assert.Contains("is a skeleton: write its TODO part by hand", error.Message);
    }
}
