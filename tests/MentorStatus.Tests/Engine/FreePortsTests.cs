using System.Net;
using System.Net.Sockets;
using MentorStatus.Tooling.Local;

namespace MentorStatus.Tests.Engine;

/// <summary>Throwaway servers' ports: the kernel's pick by default, a user's range when MENTORSTATUS_TEST_PORTS is set.</summary>
public sealed class FreePortsTests
{
    [Fact]
    public void APortFromTheRangeIsInsideItAndFree()
    {
        var range = FreeRange(8);
        var ports = Enumerable.Range(0, 8).Select(_ => FreePorts.Next($"{range.Low}-{range.High}")).ToList();
        Assert.All(ports, p => Assert.InRange(p, range.Low, range.High));
        Assert.Equal(8, ports.Distinct().Count()); // handed out once each while the range has others left
    }

    [Fact]
    public void APortInUseIsSkipped()
    {
        var range = FreeRange(2);
        using var busy = new TcpListener(IPAddress.Loopback, range.Low);
        busy.Start();
        for (var i = 0; i < 5; i++) Assert.Equal(range.High, FreePorts.Next($"{range.Low}-{range.High}"));
    }

    [Fact]
    public void AFullRangeIsAClearError()
    {
        var range = FreeRange(1);
        using var busy = new TcpListener(IPAddress.Loopback, range.Low);
        busy.Start();
        var e = Assert.Throws<LocalDatabaseException>(() => FreePorts.Next($"{range.Low}-{range.Low}"));
        Assert.Contains("no free port in MENTORSTATUS_TEST_PORTS", e.Message, StringComparison.Ordinal);
        Assert.Contains("fix:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void UnsetMeansTheKernelPicks(string? range) => Assert.InRange(FreePorts.Next(range), 1024, 65535);

    [Theory]
    [InlineData("20000")]
    [InlineData("20999-20000")]
    [InlineData("80-90")]
    [InlineData("20000-70000")]
    [InlineData("a-b")]
    public void AnUnusableRangeIsRefusedWithAnExample(string range)
    {
        var e = Assert.Throws<LocalDatabaseException>(() => FreePorts.Next(range));
        Assert.Contains($"got \"{range}\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("MENTORSTATUS_TEST_PORTS=20000-20999", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A run of <paramref name="count"/> consecutive ports free now, found from a kernel-picked one (this test's
    /// own ports: it binds them only to check).</summary>
    private static (int Low, int High) FreeRange(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var low = FreePorts.Next(null);
            if (low + count - 1 > 65535) continue;
            var listeners = new List<TcpListener>();
            try
            {
                for (var p = low; p < low + count; p++)
                {
                    var l = new TcpListener(IPAddress.Loopback, p);
                    l.Start();
                    listeners.Add(l);
                }
                return (low, low + count - 1);
            }
            catch (SocketException) { }
            finally { foreach (var l in listeners) l.Stop(); }
        }
        throw new InvalidOperationException("no run of free ports found");
    }
}
