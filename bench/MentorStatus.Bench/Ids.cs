namespace MentorStatus.Bench;

/// <summary>
/// Readable, deterministic UUIDs for the generated rows, in the seed's style:
/// 00000000-0000-4000-b00K-NNNNNNNNNNNN with K the kind and N the row number in hex, so that pgbench
/// scripts (which only have integer variables) can name the same rows as the C# clients.
/// </summary>
public static class Ids
{
    public const string OrganisationPrefix = "00000000-0000-4000-b001-";
    public const string ChapterPrefix = "00000000-0000-4000-b002-";
    public const string MentorUserPrefix = "00000000-0000-4000-b003-";
    public const string MentorPrefix = "00000000-0000-4000-b004-";
    public const string CoordinatorPrefix = "00000000-0000-4000-b005-";
    public const string ReaderPrefix = "00000000-0000-4000-b006-";

    public static Guid Organisation(long n) => Make(OrganisationPrefix, n);
    public static Guid Chapter(long n) => Make(ChapterPrefix, n);
    public static Guid MentorUser(long n) => Make(MentorUserPrefix, n);
    public static Guid Mentor(long n) => Make(MentorPrefix, n);
    public static Guid Coordinator(long n) => Make(CoordinatorPrefix, n);
    /// <summary>A signed-in user who coordinates the first <see cref="BenchSize.ManyChapters"/> chapters (their own coordinators stay too).</summary>
    public static Guid ManyChapterCoordinator => Make(ReaderPrefix, 1);
    /// <summary>A signed-in user who is no mentor and coordinates nothing: sees no mentor and no history.</summary>
    public static Guid Stranger => Make(ReaderPrefix, 2);

    private static Guid Make(string prefix, long n) => Guid.Parse(prefix + n.ToString("x12", CultureInfo.InvariantCulture));

    /// <summary>What PostgREST would put in request.jwt.claims for this user (same shape as the library's Caller).</summary>
    public static string Claims(Guid userId) => $$"""{"sub":"{{userId}}","role":"authenticated"}""";
}
