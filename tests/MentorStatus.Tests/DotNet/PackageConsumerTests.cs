using System.Diagnostics;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.DotNet;

/// <summary>
/// A new application that knows the library only as README tells it: the packages packed to a folder, one
/// PackageReference to MentorStatus.Core, an isolated NuGet cache (so nothing comes from this build's outputs or an
/// earlier restore), then restore, build and run against a throwaway database: migrate at start-up, every check Healthy.
/// </summary>
public sealed class PackageConsumerTests
{
    private const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    private const string ConsumerProject = """
        <Project Sdk="Microsoft.NET.Sdk.Web">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <RestorePackagesPath>$(MSBuildThisFileDirectory)../packages</RestorePackagesPath>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="MentorStatus.Core" Version="0.1.0" />
          </ItemGroup>
        </Project>
        """;

    // The feed beside the sources the machine already has (nuget.org here), as README's nuget.config says.
    private const string NuGetConfig = """
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="mentorstatus" value="../feed" />
          </packageSources>
        </configuration>
        """;

    // README's "Use it from .NET", then the health report on stdout.
    private const string ConsumerProgram = """
        using Microsoft.Extensions.Diagnostics.HealthChecks;

        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddMentorStatus(builder.Configuration.GetSection("MentorStatus"));
        var app = builder.Build();
        var applied = await app.Services.MigrateMentorStatusAsync();
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Console.WriteLine($"applied {applied.Count}");
        foreach (var (name, entry) in report.Entries) Console.WriteLine($"{name}: {entry.Status} ({entry.Description})");
        Console.WriteLine($"health {report.Status}");
        """;

    [Fact]
    public async Task OnePackageReference_FromAPackedFeed_InAnIsolatedCache_RestoresBuildsMigratesAndIsHealthy()
    {
        var root = Directory.CreateTempSubdirectory("mentorstatus-consumer-");
        try
        {
            var feed = Path.Combine(root.FullName, "feed");
            var app = Directory.CreateDirectory(Path.Combine(root.FullName, "app")).FullName;
            // The documented pack: the library's project alone (it packs the engine it depends on beside it).
            await RunAsync(TestDatabases.Project.Root, "dotnet", "pack", "src/MentorStatus.Core", "-c", Configuration, "--no-build", "--nologo", "-o", feed);
            File.WriteAllText(Path.Combine(app, "app.csproj"), ConsumerProject);
            File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig);
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);

            await RunAsync(app, "dotnet", "build", "-c", "Release", "--nologo");
            Assert.True(Directory.Exists(Path.Combine(root.FullName, "packages", "mentorstatus.database", "0.1.0")),
                "the engine package came from the feed into the isolated cache");

            var target = await TestDatabases.EmptyAsync("package_consumer");
            var output = await RunAsync(app, "dotnet", ["run", "-c", "Release", "--no-build"],
                new Dictionary<string, string> { ["MentorStatus__ConnectionString"] = target.ConnectionString });

            var migrations = Directory.GetFiles(TestDatabases.Project.MigrationsDirectory, "*.sql").Length;
            Assert.Contains($"applied {migrations}", output);
            Assert.Contains("mentorstatus-migrations: Healthy", output);
            Assert.Contains("health Healthy", output);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static Task<string> RunAsync(string workdir, string file, params string[] args) => RunAsync(workdir, file, args, null);

    private static async Task<string> RunAsync(string workdir, string file, string[] args, IDictionary<string, string>? environment)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workdir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no build server left behind by the test
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 8 minutes");
        }
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
        return output;
    }
}
