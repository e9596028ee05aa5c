using MentorStatus.Database.Security;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Security;

/// <summary>
/// The project's security check (issue 3) over the catalog: it holds on the migrated and the seeded
/// database, and each rule really reports an object that breaks it.
/// </summary>
public sealed class SecurityInvariantTests
{
    [Fact]
    public async Task MigratedDatabaseHasNoViolations()
    {
        var target = await TestDatabases.MigratedAsync("invariants");
        await using var dataSource = target.CreateDataSource();
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource);
        Assert.True(violations.Count == 0, "security invariants violated:\n" + string.Join("\n", violations));
    }

    [Fact]
    public async Task SeededDatabaseHasNoViolations()
    {
        var target = await TestDatabases.SeededAsync("invariantsseeded");
        await using var dataSource = target.CreateDataSource();
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource);
        Assert.True(violations.Count == 0, "security invariants violated:\n" + string.Join("\n", violations));
    }

    /// <summary>A violating change → the line(s) the check must report (every fragment in one line each).</summary>
    public static readonly IReadOnlyDictionary<string, (string Sql, string[] Expected)> Violations = new Dictionary<string, (string, string[])>
    {
        ["public table without RLS"] = (
            "create table public.leaky_notes (id int primary key, body text)",
            ["rls-disabled: table public.leaky_notes has row-level security disabled"]),
        ["policy with bare auth.uid()"] = (
            """
            create table public.notes (owner uuid, body text);
            alter table public.notes enable row level security;
            create policy notes_own on public.notes for select to authenticated using (owner = auth.uid());
            create policy notes_own_wrapped on public.notes for update to authenticated using (owner = (select auth.uid()));
            """,
            ["policy-unwrapped-auth-call: policy notes_own on public.notes calls auth.uid()"]),
        ["policy with bare auth.jwt() in with check"] = (
            """
            create table public.notes (owner uuid, body text);
            alter table public.notes enable row level security;
            create policy notes_insert on public.notes for insert to authenticated with check ((auth.jwt() ->> 'sub')::uuid = owner);
            """,
            ["policy-unwrapped-auth-call: policy notes_insert on public.notes calls auth.jwt()"]),
        ["policy with bare auth.uid() on a table outside public"] = (
            """
            create schema reports;
            create table reports.notes (owner uuid);
            alter table reports.notes enable row level security;
            create policy reports_own on reports.notes for select to authenticated using (owner = auth.uid());
            """,
            ["policy-unwrapped-auth-call: policy reports_own on reports.notes calls auth.uid()"]),
        ["security definer without search_path (private schema)"] = (
            "create function mentor_status_private.leaky() returns bigint language sql stable security definer as 'select count(*) from public.peer_mentors'",
            ["definer-without-search-path: security definer function mentor_status_private.leaky() has no fixed search_path"]),
        ["security definer without search_path in public"] = (
            "create function public.leaky(p uuid) returns bigint language sql stable security definer as 'select count(*) from public.peer_mentors where id = p'",
            ["definer-without-search-path: security definer function public.leaky(p uuid) has no fixed search_path",
             "definer-in-exposed-schema: security definer function public.leaky(p uuid) is in exposed schema public"]),
        ["security definer with search_path in public"] = (
            "create function public.helper() returns int language sql security definer set search_path = '' as 'select 1'",
            ["definer-in-exposed-schema: security definer function public.helper() is in exposed schema public"]),
        ["security definer in graphql_public"] = (
            "create schema graphql_public; create function graphql_public.helper() returns int language sql security definer set search_path = '' as 'select 1'",
            ["definer-in-exposed-schema: security definer function graphql_public.helper() is in exposed schema graphql_public"]),
        ["an overload of the rpc entry point"] = (
            "create function public.change_mentor_status(p_mentor_id uuid, p_reason text) returns void language sql security definer set search_path = '' as 'select'",
            ["definer-in-exposed-schema: security definer function public.change_mentor_status(p_mentor_id uuid, p_reason text)"]),
        ["INSERT on history for authenticated"] = (
            "grant insert on public.peer_mentor_status_history to authenticated",
            ["api-write: role authenticated holds INSERT on public.peer_mentor_status_history"]),
        ["UPDATE, DELETE, TRUNCATE on history for anon"] = (
            "grant update, delete, truncate on public.peer_mentor_status_history to anon",
            ["api-write: role anon holds UPDATE, DELETE, TRUNCATE on public.peer_mentor_status_history"]),
        ["INSERT on history for everyone (PUBLIC)"] = (
            "grant insert on public.peer_mentor_status_history to public",
            ["api-write: role anon holds INSERT on public.peer_mentor_status_history",
             "api-write: role authenticated holds INSERT on public.peer_mentor_status_history",
             "api-write: role service_role holds INSERT on public.peer_mentor_status_history"]),
        ["DELETE on history for service_role"] = (
            "grant delete on public.peer_mentor_status_history to service_role",
            ["api-write: role service_role holds DELETE on public.peer_mentor_status_history"]),
        ["private schema usage for anon"] = (
            "grant usage on schema mentor_status_private to anon",
            ["private-schema: anon has USAGE on schema mentor_status_private"]),
        ["private schema usage for PUBLIC"] = (
            "grant usage on schema mentor_status_private to public",
            ["private-schema: anon has USAGE on schema mentor_status_private"]),
        ["view in public that runs with its owner's rights"] = (
            "create view public.all_mentors as select id, display_name from public.peer_mentors",
            ["view-not-security-invoker: view public.all_mentors"]),
    };

    public static TheoryData<string> ViolationNames() => new(Violations.Keys);

    [Theory]
    [MemberData(nameof(ViolationNames))]
    public async Task CheckReportsTheViolatingObject(string name)
    {
        var (sql, expected) = Violations[name];
        var target = await TestDatabases.MigratedAsync("violation");
        await using var dataSource = target.CreateDataSource();
        Assert.Empty(await SecurityInvariants.FindViolationsAsync(dataSource));

        await dataSource.ExecuteAsync(sql);

        var violations = await SecurityInvariants.FindViolationsAsync(dataSource);
        var report = string.Join("\n", violations);
        foreach (var fragment in expected)
            Assert.True(violations.Count(v => v.StartsWith(fragment, StringComparison.Ordinal)) == 1, $"expected exactly one line starting with\n  {fragment}\nin:\n{report}");
        Assert.True(violations.Count == expected.Length, $"expected {expected.Length} violation(s), got:\n{report}");
    }

    [Fact]
    public async Task WellFormedObjectsAreNotReported()
    {
        var target = await TestDatabases.MigratedAsync("wellformed");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync("""
            create table public.notes (owner uuid, body text);
            alter table public.notes enable row level security;
            create policy notes_own on public.notes for select to authenticated using (owner = (select auth.uid()));
            create policy notes_jwt on public.notes for insert to authenticated with check (owner = ((select auth.jwt()) ->> 'sub')::uuid);
            create function mentor_status_private.helper() returns int language sql security definer set search_path = '' as 'select 1';
            create function public.invoker_helper() returns int language sql as 'select 1';
            create view public.my_notes with (security_invoker = true) as select body from public.notes;
            """);
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource);
        Assert.True(violations.Count == 0, "false positives:\n" + string.Join("\n", violations));
    }

    // Since issue 10 the rpc public.change_mentor_status is security invoker: the project needs no exception at all,
    // and a definer function in public is reported unless it is a documented entry point.
    [Fact]
    public async Task ADefinerFunctionInPublicIsReportedUnlessItIsADocumentedEntryPoint()
    {
        var target = await TestDatabases.MigratedAsync("entrypoint");
        await using var dataSource = target.CreateDataSource();
        Assert.Empty(await SecurityInvariants.FindViolationsAsync(dataSource, SecurityInvariantOptions.Default with { RpcEntryPoints = [] }));

        await dataSource.ExecuteAsync("create function public.definer_rpc() returns int language sql security definer set search_path = '' as 'select 1'");
        Assert.Equal(
            ["definer-in-exposed-schema: security definer function public.definer_rpc() is in exposed schema public and is not a documented rpc entry point"],
            await SecurityInvariants.FindViolationsAsync(dataSource, SecurityInvariantOptions.Default with { RpcEntryPoints = [] }));
        Assert.Empty(await SecurityInvariants.FindViolationsAsync(dataSource, SecurityInvariantOptions.Default with { RpcEntryPoints = ["public.definer_rpc()"] }));
    }

    [Fact]
    public async Task MissingProtectedObjectsAreReportedNotSkipped()
    {
        var target = await TestDatabases.MigratedAsync("missingobjects");
        await using var dataSource = target.CreateDataSource();
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource, SecurityInvariantOptions.Default with
        {
            ApiWriteProtectedTables = ["public.no_such_table"],
            PrivateSchemas = ["no_such_schema"],
        });
        Assert.Contains(violations, v => v.StartsWith("api-write: cannot check: table public.no_such_table does not exist", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("private-schema: cannot check: schema no_such_schema does not exist", StringComparison.Ordinal));
    }
}
