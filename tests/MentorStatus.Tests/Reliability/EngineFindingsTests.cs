using MentorStatus.Database;
using MentorStatus.Database.Migrations;
using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Reliability;

/// <summary>Engine bugs the bad-input catalogue found, fixed in src/MentorStatus.Database, pinned here.</summary>
[Trait("Category", "Reliability")]
public sealed class EngineFindingsTests
{
    /// <summary>Was: the NUL cut the Parse message short, the server answered "insufficient data left in message",
    /// the connection broke and the user saw only "error: NpgsqlTransaction" with no file or statement.</summary>
    [Fact]
    public async Task AMigrationWithANulByteIsRefusedBeforeAnythingRunsNamingTheLine()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "good", "create table good_one (x int);");
        project.AddMigration("20260101000002", "nul", "create table bad_one (x text);\ninsert into bad_one values ('a\0b');\n");
        var target = await TestDatabases.PlatformAsync("rel_nul");
        await using var data = target.CreateDataSource();

        var error = await Assert.ThrowsAsync<InvalidMigrationFileException>(() => new MigrationRunner(data, new MigrationSource(project.Layout)).UpAsync());

        Assert.Contains("20260101000002_nul.sql:2", error.Message);
        Assert.Contains("NUL byte", error.Message);
        Assert.Null(await data.ScalarAsync<string>("select to_regclass('public.good_one')::text"));
    }

    /// <summary>Was: "Requested value 'bogus' was not found." (Enum.Parse's message), naming neither the option nor the choices.</summary>
    [Theory]
    [InlineData("bogus")]
    [InlineData("42")] // Enum.Parse accepted any number as an SslMode
    public void AnUnknownSslModeInTheUrlIsNamedWithTheChoices(string mode)
    {
        var error = Assert.Throws<ArgumentException>(() => DatabaseTarget.Parse($"postgresql://postgres:x@127.0.0.1:5432/postgres?sslmode={mode}"));
        Assert.Contains($"unknown sslmode '{mode}'", error.Message);
        Assert.Contains("disable", error.Message);
        Assert.Equal(Npgsql.SslMode.VerifyFull, new Npgsql.NpgsqlConnectionStringBuilder(
            DatabaseTarget.Parse("postgresql://postgres:x@127.0.0.1:5432/postgres?sslmode=verify-full").ConnectionString).SslMode);
    }

    /// <summary>Was: `db repair "1'; drop …" --status reverted` reported success ("marked reverted") for a version that cannot exist.</summary>
    [Fact]
    public async Task RepairRefusesSomethingThatIsNotAVersion()
    {
        using var project = new TempProject();
        project.AddMigration("20260101000001", "t", "create table t (x int);");
        var target = await TestDatabases.PlatformAsync("rel_repair_version");
        await using var data = target.CreateDataSource();
        var runner = new MigrationRunner(data, new MigrationSource(project.Layout));
        await runner.UpAsync();

        var error = await Assert.ThrowsAsync<MigrationException>(() => runner.RepairAsync("1'; drop table t; --", applied: false));
        Assert.Contains("is not a migration version", error.Message);
        Assert.Equal(["20260101000001"], await data.ColumnAsync("select version from supabase_migrations.schema_migrations"));
        await runner.RepairAsync("20260101000001", applied: false); // a real version still works
        Assert.Empty(await data.ColumnAsync("select version from supabase_migrations.schema_migrations"));
    }
}
