namespace MentorStatus.Bench;

/// <summary>
/// How big a run is. <c>full</c> is the production scale (10 M history rows over 100 k mentors,
/// 100 k expired mentors); <c>ci</c> only proves that every case works, in well under a minute.
/// </summary>
public sealed record BenchSize(
    string Name,
    int Mentors,
    long HistoryRows,
    int ExpiredMentors,
    int Runs,
    TimeSpan StatusRunDuration,
    int TimelineSamples,
    int IndexRuns,
    int PgbenchScale)
{
    /// <summary>Warm-up seconds before the status-change runs (none at the CI size).</summary>
    public int WarmupSeconds => Name == "ci" ? 0 : 1;

    /// <summary>Mentors per chapter; every chapter has one active coordinator.</summary>
    public const int MentorsPerChapter = 100;
    /// <summary>Chapters per organisation.</summary>
    public const int ChaptersPerOrganisation = 10;
    /// <summary>Batch size of the certification-expiry job (set-based and row-at-a-time alike): the library's default.</summary>
    public static int ExpiryBatchSize => new CertificationExpiryJobOptions().BatchSize;

    public int Chapters => Math.Max(ChaptersPerOrganisation, (Mentors + MentorsPerChapter - 1) / MentorsPerChapter / ChaptersPerOrganisation * ChaptersPerOrganisation);
    public int Organisations => Chapters / ChaptersPerOrganisation;
    /// <summary>Chapters of the many-chapter coordinator (<see cref="Ids.ManyChapterCoordinator"/>): the first 50, or all at a smaller size.</summary>
    public int ManyChapters => Math.Min(50, Chapters);
    /// <summary>Mentors that the status-change clients take turns on (disjoint per client).</summary>
    public int StatusPool => Math.Min(Mentors, 8_000);

    public static BenchSize Parse(string text, int? runs)
    {
        var size = text.ToLowerInvariant() switch
        {
            "ci" => new BenchSize("ci", 2_000, 20_000, 1_000, 1, TimeSpan.FromSeconds(1), 100, 1, 1),
            "small" => new BenchSize("small", 10_000, 1_000_000, 10_000, 3, TimeSpan.FromSeconds(3), 500, 2, 5),
            "full" => new BenchSize("full", 100_000, 10_000_000, 100_000, 5, TimeSpan.FromSeconds(5), 1000, 3, 10),
            _ when long.TryParse(text.Replace("_", ""), out var rows) && rows >= 1000 =>
                new BenchSize(rows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " rows",
                    (int)Math.Max(1_000, rows / 100), rows, (int)Math.Min(100_000, Math.Max(1_000, rows / 100)), 5,
                    TimeSpan.FromSeconds(5), 1000, 3, 10),
            _ => throw new ArgumentException($"--size must be ci, small, full or a number of history rows (at least 1000), not \"{text}\"."),
        };
        return runs is { } r ? size with { Runs = r, IndexRuns = Math.Min(r, size.IndexRuns) } : size;
    }
}
