using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Library;

/// <summary>
/// The library's system path says who made a change: a service caller passes its name, which the database records
/// beside the history row (public.system_status_change_sources) with the role it acted as; a malformed name is
/// refused before any call.
/// </summary>
public sealed class SystemChangeSourceTests
{
    [Fact]
    public async Task AServiceCallersChange_RecordsItsName_AndTheRole()
    {
        await using var db = await LibraryDatabase.CreateAsync("system_source");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var named = await db.MentorAsync(org, [chapter], -1);
        var unnamed = await db.MentorAsync(org, [chapter], -1);
        var repo = new MentorStatusRepository(db.DataSource);

        var change = await repo.ChangeStatusAsync(Caller.ServiceNamed("support-console"), named, MentorState.Paused, ReasonCodes.CertificationExpired);
        Assert.Null(change.ChangedBy);
        Assert.Null(change.JobRunId);
        Assert.Equal(["support-console|service_role"], await db.DataSource.ColumnAsync(
            "select service || '|' || database_role from public.system_status_change_sources where history_id = $1", change.Id));

        // Caller.Service: named after the running program (the test host here), never nameless
        var other = await repo.ChangeStatusAsync(Caller.Service, unnamed, MentorState.Paused, ReasonCodes.CertificationExpired);
        var service = await db.DataSource.ScalarAsync<string>("select service from public.system_status_change_sources where history_id = $1", other.Id);
        Assert.Equal(((Caller.ServiceCaller)Caller.Service).Name, service);
        Assert.Matches("^[a-z][a-z0-9_.-]{1,62}$", service);
    }

    [Fact]
    public async Task CertificationExpired_ForAValidCertification_IsARuleViolation()
    {
        await using var db = await LibraryDatabase.CreateAsync("system_truth");
        var org = await db.OrganisationAsync();
        var mentor = await db.MentorAsync(org, [await db.ChapterAsync(org)], 30);
        var error = await Assert.ThrowsAsync<StatusRuleViolationException>(() => new MentorStatusRepository(db.DataSource)
            .ChangeStatusAsync(Caller.Service, mentor, MentorState.Paused, ReasonCodes.CertificationExpired));
        Assert.Contains("has not expired", error.Message);
        Assert.Equal("active", await db.StatusAsync(mentor));
    }

    [Theory]
    [InlineData("")]
    [InlineData("X")]
    [InlineData("Support Console")]
    [InlineData("1st-service")]
    [InlineData("evil\u001b[2J")]
    public void AMalformedServiceName_IsRefusedAtOnce(string name) =>
        Assert.Throws<ArgumentException>(() => Caller.ServiceNamed(name));
}
