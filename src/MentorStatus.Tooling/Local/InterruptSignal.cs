using System.Runtime.InteropServices;

namespace MentorStatus.Tooling.Local;

/// <summary>
/// Makes SIGINT (Ctrl+C, <c>kill -INT</c>) reach the process even when it was started with SIGINT ignored.
/// <para>
/// Why: a shell without job control (every script, CI, `cmd &amp;` in a non-interactive shell) starts a
/// background command with SIGINT and SIGQUIT set to "ignore", and that disposition is inherited through
/// fork and exec (also through .NET's Process.Start: a test host started that way passes it on to the CLI
/// it runs). .NET then installs no SIGINT handler at all (it leaves an ignored SIGINT ignored), so every
/// <see cref="PosixSignalRegistration"/> for SIGINT and System.CommandLine's Ctrl+C cancellation are dead:
/// `db rehearse` ran on for minutes after SIGINT in CI while SIGTERM worked. Found by reading
/// /proc/PID/status of the CLI under the test host: SigIgn had bit 2 set, SigCgt had not.
/// </para>
/// <para>
/// Call <see cref="RestoreIfIgnored"/> first thing in Main, before anything touches Console, Process or a
/// signal registration (that is when .NET installs its handlers and reads the inherited disposition).
/// The commands that use it have cleanup to do on Ctrl+C (a throwaway cluster to delete), so an explicit
/// SIGINT must cancel them wherever they were started from.
/// </para>
/// </summary>
public static class InterruptSignal
{
    private const int SIGINT = 2;
    private static readonly nint SigDfl = 0;
    private static readonly nint SigIgn = 1;

    /// <summary>
    /// Sets SIGINT back to its default disposition if the process inherited it ignored (Linux and macOS; a no-op
    /// elsewhere). Returns whether it was ignored. Only an inherited "ignore" is changed: a handler is never touched.
    /// </summary>
    public static bool RestoreIfIgnored()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        // struct sigaction starts with the handler on both (glibc, musl and Darwin); the rest is not read.
        var current = new byte[256];
        if (sigaction(SIGINT, 0, current) != 0) return false;
        if (MemoryMarshal.Read<nint>(current) != SigIgn) return false;
        return signal(SIGINT, SigDfl) == SigIgn;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int sigaction(int signum, nint act, byte[] oldact);

    [DllImport("libc", SetLastError = true)]
    private static extern nint signal(int signum, nint handler);
}
