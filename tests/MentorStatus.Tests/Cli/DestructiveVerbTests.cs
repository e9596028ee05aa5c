using System.Diagnostics;
using MentorStatus.Database;
using MentorStatus.Tooling.Local;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Reliability;
using Npgsql;

namespace MentorStatus.Tests.Cli;

/// <summary>
/// The verbs that delete data never guess that a server is disposable. A database given by URL, on 127.0.0.1 like a
/// `supabase start` stack or an SSH tunnel to production, is reset or rolled back only with --yes; a database holding
/// Supabase's own schemas or tables no migration creates is refused without --yes, and with it they are kept; the
/// project's own cluster is reset without --yes only when the server on its port proves to be that cluster.
/// </summary>
public sealed class DestructiveVerbTests
{
    private static string Root => TestDatabases.Project.Root;

    private static async Task<(HashSet<string> Rows, uint Oid)> StateAsync(DatabaseTarget target)
    {
        await using var data = target.CreateDataSource();
        return (await Catalogue.SnapshotAsync(data), await data.ScalarAsync<uint>("select oid from pg_database where datname = current_database()"));
    }

    private static async Task<CliRunner.Result> RunWithEnvironmentUrlAsync(string url, params string[] args)
    {
        var info = CliRunner.StartInfo(Root, args);
        info.Environment["MENTORSTATUS_DB_URL"] = url;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRunner.Result(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task ResetOfALoopbackDatabaseUrlWithoutYes_IsRefusedWithExitTwo_AndTheDatabaseIsUntouched()
    {
        var target = await TestDatabases.SeededAsync("destructive_reset_loopback");
        Assert.Equal("127.0.0.1", target.Host);
        await using (var data = target.CreateDataSource())
            await data.ExecuteAsync("update public.peer_mentors set display_name = 'changed since the seed' where display_name is not null and ctid = (select min(ctid) from public.peer_mentors)");
        var before = await StateAsync(target);

        var byOption = await CliRunner.RunAsync(Root, "db", "reset", "--db-url", target.Url);
        var byEnvironment = await RunWithEnvironmentUrlAsync(target.Url, "db", "reset", "--json");

        foreach (var result in new[] { byOption, byEnvironment })
        {
            Assert.True(result.ExitCode == 2, result.Stdout + result.Stderr);
            Assert.Contains("not this project's local cluster", result.Stderr);
            Assert.Contains("--yes", result.Stderr);
            Assert.Contains("Nothing was changed", result.Stderr);
            Assert.DoesNotContain(":postgres@", result.Stderr); // the target is named without its password
        }
        var after = await StateAsync(target);
        Assert.Equal(before.Oid, after.Oid); // not dropped and created anew
        Assert.Equal(0, Catalogue.Changed(before.Rows, after.Rows));
    }

    [Fact]
    public async Task DownOnADatabaseUrlWithoutYes_IsRefused_WithYesItReverts()
    {
        var target = await TestDatabases.MigratedAsync("destructive_down");
        var before = await StateAsync(target);

        var refused = await CliRunner.RunAsync(Root, "db", "down", "--db-url", target.Url);
        Assert.True(refused.ExitCode == 2, refused.Stdout + refused.Stderr);
        Assert.Contains("--yes", refused.Stderr);
        Assert.Equal(0, Catalogue.Changed(before.Rows, (await StateAsync(target)).Rows));

        var confirmed = await CliRunner.RunAsync(Root, "db", "down", "--db-url", target.Url, "--yes", "--json");
        Assert.True(confirmed.ExitCode == 0, confirmed.Stderr);
        await using var data = target.CreateDataSource();
        Assert.Equal(Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Length - 1,
            (int)await data.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
    }

    /// <summary>What GoTrue leaves in a Supabase database: its own migrations journal, identities, users with its columns, real rows.</summary>
    private const string GoTrueLikeAuth = """
        create schema auth;
        create table auth.schema_migrations (version varchar(255) primary key);
        insert into auth.schema_migrations values ('20171026211738'), ('20221208132122'), ('20240427152123');
        create table auth.users (
            instance_id uuid, id uuid primary key, aud varchar(255), role varchar(255), email varchar(255),
            encrypted_password varchar(255), email_confirmed_at timestamptz, raw_app_meta_data jsonb, raw_user_meta_data jsonb,
            created_at timestamptz default now(), updated_at timestamptz, is_sso_user boolean not null default false);
        create table auth.identities (
            provider_id text not null, user_id uuid not null references auth.users (id) on delete cascade, identity_data jsonb not null,
            provider text not null, id uuid primary key default gen_random_uuid(), email text generated always as (lower(identity_data->>'email')) stored);
        insert into auth.users (id, aud, role, email, encrypted_password)
            values ('9b7c2a4e-0000-4000-8000-00000000c0de', 'authenticated', 'authenticated', 'real.person@example.org', '$2a$10$notarealhashbutkeepme');
        insert into auth.identities (provider_id, user_id, identity_data, provider)
            values ('9b7c2a4e-0000-4000-8000-00000000c0de', '9b7c2a4e-0000-4000-8000-00000000c0de', '{"email": "real.person@example.org"}', 'email');
        """;

    private static async Task AssertGoTrueAuthKeptAsync(DatabaseTarget target)
    {
        await using var data = target.CreateDataSource();
        Assert.Equal(["20171026211738", "20221208132122", "20240427152123"], await data.ColumnAsync("select version from auth.schema_migrations order by 1"));
        Assert.Equal("real.person@example.org", await data.ScalarAsync<string>("select email from auth.identities"));
        Assert.Equal("$2a$10$notarealhashbutkeepme", await data.ScalarAsync<string>(
            "select encrypted_password from auth.users where id = '9b7c2a4e-0000-4000-8000-00000000c0de'"));
        Assert.Null(await data.ScalarAsync<string?>("select obj_description('auth.users'::regclass, 'pg_class')")); // not the stand-in
    }

    [Fact]
    public async Task ADatabaseWithGoTruesAuthSchema_IsRefusedWithoutYes_NamingIt_AndWithYesItsAuthIsKept()
    {
        var target = await TestDatabases.EmptyAsync("destructive_gotrue");
        await using (var data = target.CreateDataSource())
        {
            await data.ExecuteAsync(GoTrueLikeAuth);
            await data.ExecuteAsync("create table public.invoices (id int primary key, total numeric); insert into public.invoices values (1, 100)");
        }
        var before = await StateAsync(target);

        var refused = await CliRunner.RunAsync(Root, "db", "reset", "--db-url", target.Url);
        Assert.True(refused.ExitCode == 2, refused.Stdout + refused.Stderr);
        Assert.Contains("auth (GoTrue: auth.schema_migrations, auth.identities", refused.Stderr);
        Assert.Contains("public.invoices", refused.Stderr);
        Assert.Contains("--yes", refused.Stderr);
        var unchanged = await StateAsync(target);
        Assert.Equal(before.Oid, unchanged.Oid);
        Assert.Equal(0, Catalogue.Changed(before.Rows, unchanged.Rows));

        var confirmed = await CliRunner.RunAsync(Root, "db", "reset", "--db-url", target.Url, "--yes", "--json");
        Assert.True(confirmed.ExitCode == 0, confirmed.Stderr);
        Assert.Equal(before.Oid, (await StateAsync(target)).Oid);
        await AssertGoTrueAuthKeptAsync(target);
        await using var after = target.CreateDataSource();
        Assert.Equal(100m, await after.ScalarAsync<decimal>("select total from public.invoices"));
        Assert.Equal(Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Length,
            (int)await after.ScalarAsync<long>("select count(*) from supabase_migrations.schema_migrations"));
        Assert.True(await after.ScalarAsync<long>("select count(*) from public.peer_mentors") > 0); // the seed, beside the real users
    }

    [Fact]
    public async Task TheProjectsOwnCluster_IsResetWithoutYes_ButNotWhenItHoldsGoTrue_NorWhenThePortIsAnotherServers()
    {
        using var project = TempProject.CopyOfRepository();
        File.Copy(TestDatabases.Project.SeedFile, project.Layout.SeedFile);
        using var other = new TempProject();
        var port = TestCluster.FreePort();
        var otherPort = TestCluster.FreePort();
        // read after the CLI made them: the password is in each cluster's passfile
        Task<LocalCluster> Cluster() => LocalCluster.ForProjectAsync(project.Layout, new LocalClusterOptions { Port = port });
        Task<LocalCluster> OtherCluster() => LocalCluster.ForProjectAsync(other.Layout, new LocalClusterOptions { Port = otherPort });
        try
        {
            var first = await CliRunner.RunAsync(project.Layout.Root, "db", "reset", "--port", $"{port}");
            Assert.True(first.ExitCode == 0, first.Stderr);
            var again = await CliRunner.RunAsync(project.Layout.Root, "db", "reset", "--port", $"{port}", "--json");
            Assert.True(again.ExitCode == 0, again.Stderr); // the project's own tables and seed are no reason to refuse

            // GoTrue's tables in the local database (a restored production dump, say): refused, then kept with --yes.
            var target = (await Cluster()).Target();
            await using (var data = target.CreateDataSource())
                await data.ExecuteAsync("""
                    create table auth.schema_migrations (version varchar(255) primary key);
                    insert into auth.schema_migrations values ('20171026211738'), ('20240427152123');
                    create table auth.identities (provider_id text not null, user_id uuid not null references auth.users (id) on delete cascade,
                                                  identity_data jsonb not null, provider text not null, id uuid primary key default gen_random_uuid());
                    insert into auth.users (id, email) values ('9b7c2a4e-0000-4000-8000-00000000c0de', 'real.person@example.org');
                    insert into auth.identities (provider_id, user_id, identity_data, provider)
                        values ('9b7c2a4e-0000-4000-8000-00000000c0de', '9b7c2a4e-0000-4000-8000-00000000c0de', '{"email": "real.person@example.org"}', 'email');
                    """);
            var before = await StateAsync(target);
            var refused = await CliRunner.RunAsync(project.Layout.Root, "db", "reset", "--port", $"{port}");
            Assert.True(refused.ExitCode == 2, refused.Stdout + refused.Stderr);
            Assert.Contains("auth (GoTrue:", refused.Stderr);
            Assert.Contains("--yes", refused.Stderr);
            var unchanged = await StateAsync(target);
            Assert.Equal(before.Oid, unchanged.Oid);
            Assert.Equal(0, Catalogue.Changed(before.Rows, unchanged.Rows));
            var kept = await CliRunner.RunAsync(project.Layout.Root, "db", "reset", "--port", $"{port}", "--yes");
            Assert.True(kept.ExitCode == 0, kept.Stderr);
            await using (var data = target.CreateDataSource())
                Assert.Equal("real.person@example.org", await data.ScalarAsync<string>("select identity_data->>'email' from auth.identities"));

            // Another server on the port asked for (here another project's cluster): never this project's to drop.
            Assert.Equal(0, (await CliRunner.RunAsync(other.Layout.Root, "db", "start", "--port", $"{otherPort}")).ExitCode);
            await using (var data = (await OtherCluster()).Target().CreateDataSource())
                await data.ExecuteAsync("create table public.precious (x int); insert into public.precious values (42)");
            var wrongServer = await CliRunner.RunAsync(project.Layout.Root, "db", "reset", "--port", $"{otherPort}", "--yes");
            Assert.True(wrongServer.ExitCode == 2, wrongServer.Stdout + wrongServer.Stderr);
            Assert.Contains("not this project's local cluster", wrongServer.Stderr);
            await using (var data = (await OtherCluster()).Target().CreateDataSource())
                Assert.Equal(42, await data.ScalarAsync<int>("select x from public.precious"));
        }
        finally
        {
            await (await Cluster()).DestroyAsync();
            await (await OtherCluster()).DestroyAsync();
        }
    }
}
