using System.Diagnostics;
using System.Text.Json;
using MentorStatus.Database;
using MentorStatus.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;
using static MentorStatus.Tests.Rehearsal.RehearsalTests;

namespace MentorStatus.Tests.Rehearsal;

/// <summary>
/// The source is untrusted input: a source whose objects try to reach the rehearsing machine (a file written by the
/// server's OS user through COPY TO PROGRAM or lo_export) from every place the copy or the rehearsal runs source code
/// (a CHECK and a generated column while the rows load, an index expression while indexes are built and analysed,
/// a default, a CHECK and a trigger while a pending migration writes, a trigger while the synthetic clients write,
/// an event trigger on the migration's DDL), plus a superuser role, a role granted pg_execute_server_program and a
/// function in an untrusted language. The rehearsal must leave no file, and name what it neutralised.
/// </summary>
[Collection(RehearsalCollection.Name)]
public sealed class HostileSourceTests(ITestOutputHelper log)
{
    [Fact]
    public async Task AHostileSourceRunsNothingAsSuperuserAndTheReportNamesWhatWasNeutralised()
    {
        // A cluster of the test's own: the hostile roles are cluster-wide and must not reach the suite's cluster.
        await using var own = await OwnCluster.StartAsync("hostile", log);
        var database = await own.MigratedDatabaseAsync("app");
        var port = own.Cluster.Port;
        var sideEffects = Directory.CreateTempSubdirectory("ms-hostile-side-effects-");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(sideEffects.FullName, (UnixFileMode)0b111_111_111); // the server's OS user may write here
        try
        {
            await using (var owner = database.CreateDataSource())
            {
                await using (var connection = await owner.OpenConnectionAsync())
                {
                    await using (var replica = new NpgsqlCommand("set session_replication_role = replica", connection)) await replica.ExecuteNonQueryAsync();
                    await RehearsalSource.LoadAsync(connection, RehearsalSource.Mentors);
                }
                // Every hostile function does nothing on the source itself (its own port): only on the copy.
                await owner.ExecuteAsync($"""
                    create role {RehearsalSource.ReaderRole} login bypassrls password '{RehearsalSource.ReaderPassword}' in role pg_read_all_data;
                    create role hostile_admin superuser nologin;
                    grant pg_execute_server_program to authenticated;
                    create table public.hostile_calls (kind text not null, who text not null);
                    create function public.hostile(kind text) returns boolean language plpgsql volatile as $f$
                    begin
                      if current_setting('port')::int = {port} then return true; end if;
                      begin
                        insert into public.hostile_calls values (kind, current_user);
                      exception when others then null;
                      end;
                      begin
                        execute format('copy (select 1) to program %L', 'touch {sideEffects.FullName}/' || kind);
                      exception when others then null;
                      end;
                      return true;
                    end $f$;
                    create function public.hostile_immutable(kind text, v int) returns int language plpgsql immutable as $f$
                    begin
                      if current_setting('port')::int <> {port} then
                        begin
                          perform lo_export(lo_from_bytea(0, convert_to(kind, 'UTF8')), '{sideEffects.FullName}/' || kind);
                        exception when others then null;
                        end;
                      end if;
                      return v;
                    end $f$;
                    create function public.hostile_text(kind text) returns text language plpgsql volatile as $f$
                    begin perform public.hostile(kind); return kind; end $f$;
                    create function public.hostile_trigger() returns trigger language plpgsql as $f$
                    begin perform public.hostile(tg_argv[0]); return coalesce(new, old); end $f$;
                    create function public.hostile_event() returns event_trigger language plpgsql as $f$
                    begin perform public.hostile('event_trigger'); end $f$;
                    create function public.hostile_internal(integer) returns integer language internal immutable strict as 'int4abs';
                    create table public.hostile_target (
                      id int primary key,
                      v int not null,
                      note text default public.hostile_text('default'),
                      g int generated always as (public.hostile_immutable('generated', v)) stored,
                      constraint hostile_check check (public.hostile('check'))
                    );
                    insert into public.hostile_target (id, v, note) select g, g, 'x' from generate_series(1, 100) g;
                    create index hostile_target_expression on public.hostile_target (public.hostile_immutable('index', v));
                    create trigger hostile_target_trigger before insert or update on public.hostile_target
                      for each row execute function public.hostile_trigger('trigger_in_migration');
                    create trigger hostile_history_trigger after insert on public.peer_mentor_status_history
                      for each row execute function public.hostile_trigger('trigger_under_load');
                    create event trigger hostile_ddl on ddl_command_start execute function public.hostile_event();
                    analyze;
                    """);
            }

            using var project = TempProject.CopyOfRepository();
            project.AddMigration("20270101000000", "touch_hostile_objects",
                "comment on table public.hostile_target is 'rehearsed';\n" +
                "insert into public.hostile_target (id, v) values (1000001, 1);\n" +
                "update public.hostile_target set v = v + 1 where id = 1;\n",
                "delete from public.hostile_target where id = 1000001;\n" +
                "update public.hostile_target set v = v - 1 where id = 1;\n" +
                "comment on table public.hostile_target is null;\n");
            using var work = new WorkFolder();
            var from = $"postgresql://{RehearsalSource.ReaderRole}:{RehearsalSource.ReaderPassword}@127.0.0.1:{port}/app";
            var run = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", from, "--load", "1", "--keep", "--json", "--max-block", "60");
            log.WriteLine(run.Stderr);
            using var json = JsonDocument.Parse(run.Stdout);
            var report = json.RootElement.GetProperty("report");
            var stop = report.GetProperty("kept_cluster_stop_command").GetString()!;
            try
            {
                // No OS side effect, from any of them.
                Assert.Empty(Directory.GetFileSystemEntries(sideEffects.FullName));
                var migration = Assert.Single(report.GetProperty("migrations").EnumerateArray());
                Assert.Equal(JsonValueKind.Null, migration.GetProperty("error").ValueKind);

                // What was taken away is named, in --json and in the text.
                var copy = report.GetProperty("copy");
                var ownerRole = copy.GetProperty("owner_role").GetString()!;
                Assert.StartsWith("mentorstatus_rehearse_", ownerRole);
                var neutralised = copy.GetProperty("neutralised").EnumerateArray().Select(n => n.GetString()!).ToList();
                log.WriteLine(string.Join("\n", neutralised));
                Assert.Contains(neutralised, n => n.StartsWith("role hostile_admin: SUPERUSER", StringComparison.Ordinal));
                Assert.Contains("role authenticated: membership in pg_execute_server_program removed", neutralised);
                Assert.Contains(neutralised, n => n.StartsWith("event trigger hostile_ddl: not created", StringComparison.Ordinal));
                Assert.Contains(neutralised, n => n.StartsWith("function public.hostile_internal(integer) in language internal: not created", StringComparison.Ordinal));

                // Each hook did run on the copy (the test would prove nothing otherwise), as the unprivileged owner only.
                var password = MentorStatus.Tooling.Local.LocalCluster.PasswordFromPassFile(report.GetProperty("kept_cluster_pass_file").GetString()!)!;
                await using var kept = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(
                    DatabaseTarget.Parse(report.GetProperty("kept_cluster_url").GetString()!).ConnectionString) { Password = password }.ConnectionString);
                var calls = await kept.ColumnAsync("select distinct kind || ' as ' || who from public.hostile_calls order by 1");
                log.WriteLine(string.Join("\n", calls));
                foreach (var kind in new[] { "check", "default", "trigger_in_migration", "trigger_under_load" })
                    Assert.Contains($"{kind} as {ownerRole}", calls);
                Assert.All(calls, c => Assert.EndsWith($" as {ownerRole}", c));
                // the copy's roles hold nothing beyond the database
                Assert.Equal(0L, await kept.ScalarAsync<long>("""
                    select count(*) from pg_roles r where r.oid >= 16384 and (r.rolsuper or r.rolcreaterole
                      or pg_has_role(r.oid, 'pg_execute_server_program', 'member') or pg_has_role(r.oid, 'pg_write_server_files', 'member')
                      or pg_has_role(r.oid, 'pg_read_server_files', 'member'))
                    """));
                Assert.Equal(0L, await kept.ScalarAsync<long>("select count(*) from pg_event_trigger"));

                var text = await RehearsalTests.Cli(work, project, "db", "rehearse", "--from", from);
                Assert.Contains("neutralised: event trigger hostile_ddl: not created", Flat(text.Stderr + text.Stdout));
                Assert.Contains("trust: the copy is owned, loaded and migrated by mentorstatus_rehearse_", Flat(text.Stderr + text.Stdout));
                Assert.Empty(Directory.GetFileSystemEntries(sideEffects.FullName));
            }
            finally
            {
                using var shell = Process.Start(new ProcessStartInfo("bash", ["-c", stop]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                await shell.WaitForExitAsync();
            }
            Assert.Empty(work.Leftovers());
        }
        finally
        {
            sideEffects.Delete(recursive: true);
        }
    }
}
