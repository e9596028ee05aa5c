using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.DotNet;

/// <summary>
/// VerifyAsync used to pass on a data source built without the mentor_status mapping, after which every
/// read of a status threw InvalidCastException. It must fail at start-up and name the fix.
/// </summary>
public sealed class VerifyMappingTests
{
    [Fact]
    public async Task DataSourceWithoutEnumMapping_FailsVerification_NamingUseMentorStatus()
    {
        var target = await TestDatabases.MigratedAsync("verify_nomap");
        await using var plain = NpgsqlDataSource.Create(target.ConnectionString); // no MapEnum

        var e = await Assert.ThrowsAsync<SchemaMismatchException>(() => MentorStatusDataSource.VerifyAsync(plain));

        Assert.Contains("UseMentorStatus()", e.Message);
        Assert.Contains("mentor_status", e.Message);
    }

    [Fact]
    public async Task DataSourceBuiltWithUseMentorStatus_PassesVerification_AndReadsStatuses()
    {
        var target = await TestDatabases.SeededAsync("verify_map");
        var builder = new NpgsqlDataSourceBuilder(target.ConnectionString).UseMentorStatus();
        await using var dataSource = builder.Build();

        await MentorStatusDataSource.VerifyAsync(dataSource);
        var ids = await dataSource.ColumnAsync("select id::text from public.peer_mentors limit 3");
        var statuses = await new MentorStatusRepository(dataSource).GetCurrentStatusesAsync(Caller.Service, ids.Select(Guid.Parse).ToList());
        Assert.Equal(ids.Count, statuses.Count);
    }
}
