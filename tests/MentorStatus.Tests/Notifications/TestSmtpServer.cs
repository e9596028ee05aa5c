using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace MentorStatus.Tests.Notifications;

/// <summary>
/// A real SMTP server (the SmtpServer package) on a free loopback port, speaking SMTP over TCP to the
/// channel. Keeps every message it accepted, parsed with MimeKit. Behaviour: accept, refuse with a 5xx
/// after DATA, or answer DATA slower than the client's timeout. With a login, AUTH is required. It offers no
/// STARTTLS: everything, a login included, crosses the connection in plain text.
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    public enum Mode { Accept, Refuse5xx, Slow }

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    public int Port { get; }
    public ConcurrentQueue<MimeMessage> Received { get; } = new();
    public ConcurrentQueue<string> Envelopes { get; } = new();
    public Mode Behaviour { get; set; }
    /// <summary>How many AUTH exchanges reached the authenticator (a login sent over this plain-TCP server).</summary>
    public int AuthAttempts => _authAttempts;
    private int _authAttempts;
    public TimeSpan SlowBy { get; set; } = TimeSpan.FromSeconds(5);

    public TestSmtpServer(Mode mode = Mode.Accept, string? user = null, string? password = null)
    {
        Behaviour = mode;
        Port = FreePort();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(e =>
            {
                e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port));
                if (user is not null) e.AuthenticationRequired().AllowUnsecureAuthentication();
            })
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        if (user is not null) services.Add(new DelegatingUserAuthenticator((_, u, p) =>
        {
            Interlocked.Increment(ref _authAttempts);
            return u == user && p == password;
        }));
        _running = new SmtpServer.SmtpServer(options, services).StartAsync(_stop.Token);
    }

    public static int FreePort() => MentorStatus.Tooling.Local.FreePorts.Next();

    private sealed class Store(TestSmtpServer server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken ct)
        {
            switch (server.Behaviour)
            {
                case Mode.Refuse5xx:
                    return new SmtpResponse(SmtpReplyCode.TransactionFailed, "5.7.1 message refused by policy");
                case Mode.Slow:
                    await Task.Delay(server.SlowBy, ct);
                    return SmtpResponse.TransactionFailed; // too late: the client has given up
            }
            using var stream = new MemoryStream(buffer.ToArray());
            server.Received.Enqueue(await MimeMessage.LoadAsync(stream, ct));
            server.Envelopes.Enqueue(string.Join(",", transaction.To.Select(t => $"{t.User}@{t.Host}")));
            return SmtpResponse.Ok;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}

/// <summary>
/// An SMTP server that accepts the envelope, says 354 to DATA, reads part of the message and then
/// closes the connection: the connection dropped mid-DATA. Counts the sessions it cut off.
/// </summary>
public sealed class DroppingSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, TestSmtpServer.FreePort());
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _dropped;
    public int Port { get; }
    public int Dropped => _dropped;

    public DroppingSmtpServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 localhost ESMTP dropping test server");
        while (await reader.ReadLineAsync() is { } line)
        {
            var verb = line.Split(' ')[0].ToUpperInvariant();
            if (verb is "EHLO" or "HELO") { await writer.WriteLineAsync("250 localhost"); continue; }
            if (verb is "MAIL" or "RCPT" or "RSET" or "NOOP") { await writer.WriteLineAsync("250 2.0.0 ok"); continue; }
            if (verb == "QUIT") { await writer.WriteLineAsync("221 bye"); return; }
            if (verb == "DATA")
            {
                await writer.WriteLineAsync("354 go ahead");
                await reader.ReadLineAsync(); // the first header line of the message ...
                Interlocked.Increment(ref _dropped);
                client.Client.Close(); // ... and the connection is gone
                return;
            }
            await writer.WriteLineAsync("502 5.5.2 not implemented");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (Exception) { }
    }
}
