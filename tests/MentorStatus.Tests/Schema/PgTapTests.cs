using MentorStatus.Database.Testing;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Schema;

/// <summary>Every pgTAP file of supabase/tests, run as `db test` runs it: a failing assertion fails `dotnet test`.</summary>
public sealed class PgTapTests
{
    public static TheoryData<string> Files() =>
        new(PgTapRunner.Discover(TestDatabases.Project).Select(f => TestDatabases.Project.Display(f)));

    [Theory]
    [MemberData(nameof(Files))]
    public async Task PgTapFilePasses(string file)
    {
        var target = await TestDatabases.MigratedAsync("pgtap");
        await using var dataSource = target.CreateDataSource();
        var result = await PgTapRunner.RunFileAsync(dataSource, Path.Combine(TestDatabases.Project.Root, file), file);
        Assert.True(result.Ok, $"{file}: {result.Summary}\n{string.Join("\n", result.Failures)}");
    }

    [Fact]
    public void ThereArePgTapFiles() => Assert.NotEmpty(Files());
}
