using System.Diagnostics;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Engine;

/// <summary>
/// The real Supabase CLI (npm supabase@2.117.0, installed by scripts/test.sh into .tools/) and this engine
/// read and write one journal: what one applied, the other sees as applied, without drift.
/// </summary>
public sealed class SupabaseCliCompatibilityTests
{
    private static string SupabaseCli =>
        Environment.GetEnvironmentVariable("SUPABASE_CLI") is { Length: > 0 } fromEnv ? fromEnv
        : Path.Combine(TestDatabases.Project.Root, ".tools", "node_modules", ".bin", "supabase") is var local && File.Exists(local) ? local
        : throw new InvalidOperationException("the Supabase CLI is not installed: run scripts/test.sh (it installs it into .tools/), or set SUPABASE_CLI.");

    private static async Task<string> SupabaseAsync(params string[] args)
    {
        var info = new ProcessStartInfo(SupabaseCli) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--workdir");
        info.ArgumentList.Add(TestDatabases.Project.Root);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"supabase {string.Join(' ', args)} failed:\n{output}");
        return output;
    }

    [Fact]
    public async Task WhatTheSupabaseCliAppliedThisEngineSeesAsAppliedWithoutDrift()
    {
        var target = await TestDatabases.PlatformAsync("cli_compat_a");
        await SupabaseAsync("migration", "up", "--db-url", target.Url + "?sslmode=disable");

        await using var data = target.CreateDataSource();
        var runner = new MigrationRunner(data, new MigrationSource(TestDatabases.Project));
        var plan = await runner.PlanAsync();
        Assert.Equal(plan.Local.Select(f => f.Version), plan.Applied.Select(a => a.Version));
        Assert.Empty(plan.Drifted);
        Assert.Empty(await runner.UpAsync());
    }

    [Fact]
    public async Task WhatThisEngineAppliedTheSupabaseCliSeesAsApplied()
    {
        var target = await TestDatabases.MigratedAsync("cli_compat_b");
        var list = await SupabaseAsync("migration", "list", "--db-url", target.Url + "?sslmode=disable");
        foreach (var file in new MigrationSource(TestDatabases.Project).LoadMigrations())
            Assert.Contains($"`{file.Version}` | `{file.Version}`", list);
        Assert.Contains("up to date", await SupabaseAsync("migration", "up", "--db-url", target.Url + "?sslmode=disable"));
    }
}
