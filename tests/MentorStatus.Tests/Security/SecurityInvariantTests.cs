using MentorStatus.Tooling.Security;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Security;

/// <summary>
/// <c>db security</c> (issue 3, restructured for issue 10 as a table of splinter-style rules) over the
/// catalog: it holds on the migrated and the seeded database, and each rule really reports an object
/// that breaks it, created in a scratch clone.
/// </summary>
public sealed class SecurityInvariantTests
{
    [Fact]
    public async Task MigratedDatabaseHasNoFailingFindings()
    {
        var target = await TestDatabases.MigratedAsync("invariants");
        await using var dataSource = target.CreateDataSource();
        var report = await SecurityInvariants.CheckAsync(dataSource, SecurityScope.ForProject(TestDatabases.Project));
        Assert.True(!report.Failed, "security rules fail:\n" + string.Join("\n", report.Failing));
    }

    [Fact]
    public async Task SeededDatabaseHasNoFailingFindings()
    {
        var target = await TestDatabases.SeededAsync("invariantsseeded");
        await using var dataSource = target.CreateDataSource();
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource, SecurityScope.ForProject(TestDatabases.Project));
        Assert.True(violations.Count == 0, "security rules fail:\n" + string.Join("\n", violations));
    }

    /// <summary>A violating change → the failing line(s) the check must report (each fragment starts exactly one line).</summary>
    public static readonly IReadOnlyDictionary<string, (string Sql, string[] Expected)> Violations = new Dictionary<string, (string, string[])>
    {
        ["public table without RLS"] = (
            "create table public.leaky_notes (id int primary key, body text)",
            ["rls_disabled_in_public: table public.leaky_notes in exposed schema public has row-level security disabled",
             "api_role_excess_privilege: role authenticated holds SELECT on public.leaky_notes"]),
        ["policy on a table with RLS off"] = (
            """
            create table public.notes (owner uuid, body text);
            create policy notes_all on public.notes for select to authenticated using (owner = (select auth.uid()));
            """,
            ["rls_disabled_in_public: table public.notes",
             "policy_exists_rls_disabled: policy notes_all on public.notes does nothing"]),
        ["policy with bare auth.uid()"] = (
            """
            create table public.notes (owner uuid, body text);
            alter table public.notes enable row level security;
            create policy notes_own on public.notes for select to authenticated using (owner = auth.uid());
            create policy notes_own_wrapped on public.notes for update to authenticated using (owner = (select auth.uid()));
            """,
            ["auth_rls_initplan: policy notes_own on public.notes calls auth functions without (select ...)"]),
        ["policy with bare auth.jwt() in with check"] = (
            """
            create table public.notes (owner uuid, body text);
            alter table public.notes enable row level security;
            create policy notes_read on public.notes for select to authenticated using (owner = (select auth.uid()));
            create policy notes_insert on public.notes for insert to authenticated with check ((auth.jwt() ->> 'sub')::uuid = owner);
            grant insert on public.notes to authenticated;
            """,
            ["auth_rls_initplan: policy notes_insert on public.notes"]),
        ["policy with bare auth.uid() on a table outside the exposed schemas"] = (
            """
            create schema reports;
            create table reports.notes (owner uuid);
            alter table reports.notes enable row level security;
            create policy reports_own on reports.notes for select to authenticated using (owner = auth.uid());
            """,
            ["auth_rls_initplan: policy reports_own on reports.notes"]),
        ["security definer without search_path"] = (
            "create function mentor_status_private.leaky() returns bigint language sql stable security definer as 'select count(*) from public.peer_mentors'",
            ["function_search_path_mutable: function mentor_status_private.leaky() has no search_path of its own",
             "definer_search_path_pg_temp_not_last: security definer function mentor_status_private.leaky() has search_path (none"]),
        ["security definer with an empty search_path (pg_temp searched first)"] = (
            "create function mentor_status_private.empty_path(p uuid) returns bigint language sql stable security definer set search_path = '' as 'select count(*) from public.peer_mentors where id = p'",
            ["definer_search_path_pg_temp_not_last: security definer function mentor_status_private.empty_path(p uuid) has search_path '' (empty)"]),
        ["security definer with pg_temp named first"] = (
            "create function mentor_status_private.temp_first() returns int language sql security definer set search_path = pg_temp, pg_catalog as 'select 1'",
            ["definer_search_path_pg_temp_not_last: security definer function mentor_status_private.temp_first()"]),
        ["invoker function without search_path"] = (
            "create function mentor_status_private.plain() returns int language sql as 'select 1'",
            ["function_search_path_mutable: function mentor_status_private.plain()"]),
        ["security definer in public, callable by anon and authenticated"] = (
            "create function public.helper() returns int language sql security definer set search_path = pg_catalog, pg_temp as 'select 1'",
            ["anon_security_definer_function_executable: security definer function public.helper()",
             "authenticated_security_definer_function_executable: security definer function public.helper()"]),
        ["security definer in graphql_public, callable by authenticated only"] = (
            """
            create schema graphql_public;
            create function graphql_public.helper() returns int language sql security definer set search_path = pg_catalog, pg_temp as 'select 1';
            revoke execute on function graphql_public.helper() from public;
            grant execute on function graphql_public.helper() to authenticated;
            """,
            ["authenticated_security_definer_function_executable: security definer function graphql_public.helper()"]),
        ["view in public that runs with its owner's rights"] = (
            "create view public.all_mentors as select id, display_name from public.peer_mentors",
            ["security_definer_view: view public.all_mentors"]),
        ["TRIGGER on a table for authenticated"] = (
            "grant trigger on public.peer_mentors to authenticated",
            ["api_role_excess_privilege: role authenticated holds TRIGGER on public.peer_mentors"]),
        ["TRUNCATE and REFERENCES for service_role"] = (
            "grant truncate, references on public.chapters to service_role",
            ["api_role_excess_privilege: role service_role holds TRUNCATE, REFERENCES on public.chapters"]),
        ["UPDATE without an update policy for authenticated"] = (
            "grant update on public.peer_mentors to authenticated",
            ["api_role_excess_privilege: role authenticated holds UPDATE on public.peer_mentors, which no policy for it needs"]),
        ["SELECT for anon (PostgREST and pg_graphql expose it)"] = (
            "grant select on public.organisations to anon",
            ["api_role_excess_privilege: role anon holds SELECT on public.organisations",
             "pg_graphql_anon_table_exposed: anon may SELECT public.organisations"]),
        ["INSERT on history for authenticated"] = (
            "grant insert on public.peer_mentor_status_history to authenticated",
            ["api_role_excess_privilege: role authenticated holds INSERT on public.peer_mentor_status_history",
             "append_only_writable: role authenticated holds INSERT on public.peer_mentor_status_history"]),
        ["DELETE on history for service_role"] = (
            "grant delete on public.peer_mentor_status_history to service_role",
            ["append_only_writable: role service_role holds DELETE on public.peer_mentor_status_history"]),
        ["private schema usage for PUBLIC"] = (
            "grant usage on schema mentor_status_private to public",
            ["private_schema_anon_usage: anon has USAGE on schema mentor_status_private"]),
        ["policy that is an OR of two membership arrays (no index condition)"] = (
            """
            create table public.notes (id uuid primary key, owner uuid, chapter uuid);
            alter table public.notes enable row level security;
            create policy notes_own_or_chapter on public.notes for select to authenticated
                using (owner = any (array(select mentor_status_private.own_mentor_ids()))
                       or chapter = any (array(select mentor_status_private.coordinated_chapter_ids())));
            """,
            ["policy_or_not_index_bound: policy notes_own_or_chapter on public.notes is an OR of membership tests"]),
        ["the same OR split into two permissive policies"] = (
            """
            create table public.notes (id uuid primary key, owner uuid, chapter uuid);
            alter table public.notes enable row level security;
            create policy notes_own on public.notes for select to authenticated using (owner = any (array(select mentor_status_private.own_mentor_ids())));
            create policy notes_chapter on public.notes for select to authenticated using (chapter = any (array(select mentor_status_private.coordinated_chapter_ids())));
            """,
            ["multiple_permissive_policies: table public.notes has permissive policies notes_chapter, notes_own"]),
        ["extension in public"] = (
            "create extension citext with schema public",
            ["extension_in_public: extension citext is installed in schema public"]),
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
            grant insert on public.notes to authenticated;
            create function mentor_status_private.helper() returns int language sql security definer set search_path = pg_catalog, pg_temp as 'select 1';
            create function mentor_status_private.quoted() returns int language sql security definer set search_path = "pg_catalog", "pg_temp" as 'select 1';
            create function public.invoker_helper() returns int language sql set search_path = '' as 'select 1';
            create view public.my_notes with (security_invoker = true) as select body from public.notes;
            create table public.bound_notes (id uuid primary key, owner uuid, chapter uuid);
            alter table public.bound_notes enable row level security;
            create policy bound_notes_read on public.bound_notes for select to authenticated
                using (owner = any (array(select mentor_status_private.visible_mentor_ids()))
                       and (owner = any (array(select mentor_status_private.own_mentor_ids()))
                            or chapter = any (array(select mentor_status_private.coordinated_chapter_ids()))));
            """);
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource);
        Assert.True(violations.Count == 0, "false positives:\n" + string.Join("\n", violations));
    }

    [Fact]
    public async Task AFindingAcknowledgedInTheObjectsCommentIsListedButDoesNotFail()
    {
        var target = await TestDatabases.MigratedAsync("acknowledged");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync("""
            create procedure mentor_status_private.batches() language plpgsql as 'begin commit; end';
            comment on procedure mentor_status_private.batches() is
                'Commits per batch. security: ignore function_search_path_mutable because a procedure with a SET clause cannot commit';
            create function mentor_status_private.other() returns int language sql as 'select 1';
            comment on function mentor_status_private.other() is 'security: ignore some_other_rule because it is not this rule';
            """);
        var report = await SecurityInvariants.CheckAsync(dataSource);
        var procedure = Assert.Single(report.Findings, f => f.Object == "mentor_status_private.batches()");
        Assert.Equal("a procedure with a SET clause cannot commit", procedure.Acknowledged);
        Assert.False(report.Fails(procedure));
        Assert.Equal(["function_search_path_mutable: function mentor_status_private.other() has no search_path of its own: unqualified names in it resolve through the caller's search_path"],
            report.Failing.Select(f => f.ToString()));
    }

    [Fact]
    public async Task AnAcknowledgementNamesSeveralRulesByCodeOrNameAsTheLintsDoes()
    {
        // One ignore syntax for both tools (IgnoreDirectives): `ignore ID, ID because REASON`, as `-- lint: ignore MS001, MS005 because …`;
        // one id scheme: a rule's code (MS201 is rls_disabled_in_public) does as well as its name.
        var target = await TestDatabases.MigratedAsync("acknowledged_list");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync("""
            create table public.open_notes (id int primary key, body text);
            grant select, truncate on public.open_notes to authenticated;
            comment on table public.open_notes is
                'security: ignore MS201, api_role_excess_privilege because a scratch table of this test';
            """);
        var report = await SecurityInvariants.CheckAsync(dataSource);
        var named = report.Findings.Where(f => f.Object == "public.open_notes" && f.Rule is "rls_disabled_in_public" or "api_role_excess_privilege").ToList();
        Assert.Contains(named, f => f.Rule == "rls_disabled_in_public");
        Assert.Contains(named, f => f.Rule == "api_role_excess_privilege");
        Assert.All(named, f => Assert.Equal("a scratch table of this test", f.Acknowledged));
        Assert.DoesNotContain(report.Failing, f => f.Object == "public.open_notes" && f.Rule is "rls_disabled_in_public" or "api_role_excess_privilege");
    }

    [Fact]
    public async Task ExposedSchemasComeFromConfigTomlNotFromTheCode()
    {
        Assert.Equal(["public", "graphql_public"], SecurityScope.ForProject(TestDatabases.Project).ExposedSchemas);
        var scope = SecurityScope.FromConfigToml("[api]\nschemas = [\"api\"]\n");
        Assert.Equal(["api"], scope.ExposedSchemas);

        var target = await TestDatabases.MigratedAsync("exposedscope");
        await using var dataSource = target.CreateDataSource();
        await dataSource.ExecuteAsync("""
            create schema api;
            create table api.leaky (id int);
            grant usage on schema api to anon, authenticated;
            grant select, trigger on api.leaky to anon;
            """);
        var violations = await SecurityInvariants.FindViolationsAsync(dataSource, scope);
        Assert.Contains(violations, v => v.StartsWith("rls_disabled_in_public: table api.leaky", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("api_role_excess_privilege: role anon holds SELECT, TRIGGER on api.leaky", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("pg_graphql_anon_table_exposed: anon may SELECT api.leaky", StringComparison.Ordinal));
        Assert.Empty(await SecurityInvariants.FindViolationsAsync(dataSource)); // not exposed under Supabase's defaults
    }

    [Fact]
    public void ABrokenConfigTomlIsAnErrorThatNamesTheFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => SecurityScope.FromConfigToml("[api]\nschemas = [1, 2]\n", "supabase/config.toml"));
        Assert.Contains("supabase/config.toml: [api] schemas must be a list of schema names", e.Message);
        var syntax = Assert.Throws<InvalidDataException>(() => SecurityScope.FromConfigToml("[api\nschemas = ", "supabase/config.toml"));
        Assert.StartsWith("supabase/config.toml is not valid TOML", syntax.Message);
    }

    [Fact]
    public void DbLintAndDbSecurityShareOneDefinitionOfAnUnwrappedAuthCall()
    {
        const string bare = "(owner = auth.uid())";
        const string wrapped = "(owner = ( SELECT auth.uid() AS uid))";
        Assert.True(AuthCallWrapping.HasUnwrappedAuthCall(bare));
        Assert.False(AuthCallWrapping.HasUnwrappedAuthCall(wrapped));
        Assert.Equal(AuthCallWrapping.HasUnwrappedAuthCall(bare), MentorStatus.Tooling.Lint.LintRules.UnwrappedAuthFunctionCheck.HasUnwrappedAuthCall(bare));
        Assert.Equal(AuthCallWrapping.HasUnwrappedAuthCall(wrapped), MentorStatus.Tooling.Lint.LintRules.UnwrappedAuthFunctionCheck.HasUnwrappedAuthCall(wrapped));
        Assert.Same(SecurityRules.AuthRlsInitplan.Matches!.Method, ((Func<string, bool>)AuthCallWrapping.HasUnwrappedAuthCall).Method);
    }
}
