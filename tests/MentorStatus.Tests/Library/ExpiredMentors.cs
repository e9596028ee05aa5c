using MentorStatus.Tests.Infrastructure;

namespace MentorStatus.Tests.Library;

/// <summary>
/// The expiry tests' world: one organisation, one chapter and its coordinator, and <c>count</c> active mentors of
/// that chapter whose certifications expired, Expired[i] i + 1 days ago (so the job's batch order is the reverse).
/// </summary>
internal sealed record ExpiredMentors(LibraryDatabase Db, Guid Coordinator, Guid[] Expired)
{
    public static async Task<ExpiredMentors> CreateAsync(string purpose, int count = 5)
    {
        var db = await LibraryDatabase.CreateAsync(purpose);
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var coordinator = await db.CoordinatorAsync([chapter]);
        var mentors = new Guid[count];
        for (var i = 0; i < count; i++) mentors[i] = await db.MentorAsync(org, [chapter], -1 - i, name: $"m{i}");
        return new ExpiredMentors(db, coordinator, mentors);
    }
}
