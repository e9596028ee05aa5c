using System.Collections.Concurrent;
using System.Diagnostics;

namespace MentorStatus.Bench;

/// <summary>
/// The timeline read load of the scale-out and pooler cases: N concurrent readers, each a coordinator of a random
/// mentor's chapter (so every read goes through the history's RLS policy) calling the repository's real read path,
/// <see cref="MentorStatusRepository.GetTimelineAsync"/> (first page, 50 entries), back to back for a duration.
/// </summary>
public sealed class TimelineReaders(BenchContext ctx)
{
    public const int PageSize = 50;

    // One Caller per chapter, made once: the same coordinator is the same dictionary key for ReadReplica.
    private readonly Caller[] _coordinators = Enumerable.Range(0, ctx.Size.Chapters + 1)
        .Select(chapter => Caller.User(Ids.Coordinator(Math.Max(1, chapter)))).ToArray();

    /// <summary>What one load run did: reads per second and the entries they returned (0 would mean RLS hid everything).</summary>
    public sealed record Run(double ReadsPerSecond, long Reads, long Entries);

    /// <summary>
    /// Runs <paramref name="readers"/> readers for <paramref name="duration"/>; <paramref name="repositoryFor"/> picks the
    /// repository of a reader's n-th read (so a run can split reads between primary and standby).
    /// </summary>
    public async Task<Run> RunAsync(int readers, TimeSpan duration, Func<int, long, MentorStatusRepository> repositoryFor,
        ConcurrentBag<double>? latencies, CancellationToken ct)
    {
        long reads = 0, entries = 0;
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, readers).Select(reader => Task.Run(async () =>
        {
            var rng = new Random(reader * 104729 + Environment.TickCount);
            var local = latencies is null ? null : new List<double>();
            long done = 0, seen = 0;
            while (clock.Elapsed < duration)
            {
                var mentor = rng.Next(1, ctx.Size.Mentors + 1);
                var caller = _coordinators[ctx.Loader.ChapterOf(mentor)];
                var t0 = Stopwatch.GetTimestamp();
                var page = await repositoryFor(reader, done).GetTimelineAsync(caller, Ids.Mentor(mentor), PageSize, null, ct);
                local?.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                seen += page.Items.Count;
                done++;
            }
            Interlocked.Add(ref reads, done);
            Interlocked.Add(ref entries, seen);
            if (local is not null) foreach (var l in local) latencies!.Add(l);
        }, ct)).ToArray();
        await Task.WhenAll(tasks);
        var elapsed = clock.Elapsed.TotalSeconds;
        if (reads > 0 && entries == 0)
            throw new InvalidOperationException("the coordinators' timeline reads returned no entries: RLS hid everything, so the figures would measure nothing.");
        return new Run(reads / elapsed, reads, entries);
    }
}
