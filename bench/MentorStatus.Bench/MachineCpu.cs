namespace MentorStatus.Bench;

/// <summary>
/// How busy the whole machine's CPUs were between two points (Linux /proc/stat): tells whether a throughput figure
/// was limited by the cores that the load generator, the servers (and other users of the machine) share.
/// </summary>
public readonly record struct MachineCpu(long Busy, long Total)
{
    public static MachineCpu Now()
    {
        if (!File.Exists("/proc/stat")) return default;
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Take(8).Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Sum();
        return new MachineCpu(total - idle, total);
    }

    /// <summary>Share of all cores busy since <paramref name="start"/>, 0 to 1 (NaN where /proc/stat is missing).</summary>
    public double BusySince(MachineCpu start) =>
        Total - start.Total is var total and > 0 ? (double)(Busy - start.Busy) / total : double.NaN;
}
