using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MentorStatus.Tooling.Local;

namespace MentorStatus.TestSupport;

/// <summary>
/// A loopback TCP proxy in front of a PostgreSQL server that counts round trips: the client messages the
/// client then waits on, Sync (extended protocol, one per command or batch) and Query (simple protocol).
/// Point a connection string at <see cref="Port"/> instead of the server to measure how many round trips a
/// piece of client code makes. Everything else passes through unchanged.
/// </summary>
public sealed class WireRoundTripCounter : IAsyncDisposable
{
    private const int SslRequestCode = 80877103;
    private const int GssEncRequestCode = 80877104;
    private const int CancelRequestCode = 80877102;

    private readonly TcpListener _listener = new(IPAddress.Loopback, FreePorts.Next());
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private long _roundTrips;

    public WireRoundTripCounter(string serverHost, int serverPort)
    {
        _serverHost = serverHost;
        _serverPort = serverPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Sync and Query messages sent through the proxy so far, over every connection.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections) _connections.Add(RelayAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(_serverHost, _serverPort, _stop.Token);
                var toServer = CountingCopyAsync(client.GetStream(), server.GetStream());
                var toClient = client.GetStream() is var c ? server.GetStream().CopyToAsync(c, _stop.Token) : Task.CompletedTask;
                await Task.WhenAny(toServer, toClient);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    /// <summary>Copies client to server message by message: the untyped start-up packets first, then typed messages.</summary>
    private async Task CountingCopyAsync(NetworkStream from, NetworkStream to)
    {
        var header = new byte[8];
        // start-up: length + code; SSL/GSS requests (answered with one byte) come before the real start-up message
        while (true)
        {
            await from.ReadExactlyAsync(header.AsMemory(0, 8), _stop.Token);
            var length = BinaryPrimitives.ReadInt32BigEndian(header);
            var code = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
            await to.WriteAsync(header.AsMemory(0, 8), _stop.Token);
            await CopyBytesAsync(from, to, length - 8);
            if (code == CancelRequestCode) return;
            if (code != SslRequestCode && code != GssEncRequestCode) break;
        }
        while (true)
        {
            await from.ReadExactlyAsync(header.AsMemory(0, 5), _stop.Token);
            var type = (char)header[0];
            var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
            if (type is 'S' or 'Q') Interlocked.Increment(ref _roundTrips);
            await to.WriteAsync(header.AsMemory(0, 5), _stop.Token);
            await CopyBytesAsync(from, to, length - 4);
        }
    }

    private async Task CopyBytesAsync(NetworkStream from, NetworkStream to, int count)
    {
        var buffer = new byte[Math.Min(Math.Max(count, 1), 65536)];
        while (count > 0)
        {
            var n = await from.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, count)), _stop.Token);
            if (n == 0) throw new IOException("connection closed");
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            count -= n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] open;
        lock (_connections) open = [.. _connections];
        await Task.WhenAll(open);
        _stop.Dispose();
    }
}
