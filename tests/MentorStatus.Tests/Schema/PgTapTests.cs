using MentorStatus.Tooling.Testing;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Schema;

/// <summary>
/// Every pgTAP file of supabase/tests, run as `db test` runs it: a failing assertion fails `dotnet test`. Each file runs
/// twice, on a database with every migration and on one with the seed on top (what `supabase db reset` leaves before
/// `supabase test db`): a file must build its own fixtures and never count rows it did not make.
/// </summary>
public sealed class PgTapTests
{
    public static TheoryData<string> Files() =>
        new(PgTapRunner.Discover(TestDatabases.Project).Select(f => TestDatabases.Project.Display(f)));

    [Theory]
    [MemberData(nameof(Files))]
    public async Task PgTapFilePasses(string file) => await RunAsync(file, await TestDatabases.MigratedAsync("pgtap"));

    [Theory]
    [MemberData(nameof(Files))]
    public async Task PgTapFilePassesOnTheSeededDatabase(string file) => await RunAsync(file, await TestDatabases.SeededAsync("pgtap_seeded"));

    [Fact]
    public void ThereArePgTapFiles() => Assert.NotEmpty(Files());

    private static async Task RunAsync(string file, MentorStatus.Database.DatabaseTarget target)
    {
        await using var dataSource = target.CreateDataSource();
        var result = await PgTapRunner.RunFileAsync(dataSource, Path.Combine(TestDatabases.Project.Root, file), file);
        Assert.True(result.Ok, $"{file}: {result.Summary}\n{string.Join("\n", result.Failures)}");
    }
}
