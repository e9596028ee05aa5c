using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using MentorStatus.Tooling.Local;

namespace MentorStatus.Rehearsal;

/// <summary>
/// A fresh initdb kept in the user's cache folder (never the project folder; it holds no data, only an empty
/// cluster), copied for each throwaway cluster: a copy of its ≈ 40 MB takes ≈ 0.2 s where initdb takes ≈ 1.5 s.
/// One entry per server binary and initdb options (<c>pg15-initdb-&lt;version&gt;-&lt;hash&gt;</c>), with a manifest
/// of every file and its size. An entry that fails the check (another server version, a missing or truncated
/// file) is moved aside and deleted, and a new one is built. Two rehearsals at once are safe: an entry is built in
/// a temp folder of its own and renamed into place in one step (the loser of a race deletes its copy), and a valid
/// entry is never changed; a copy that fails for any reason falls back to a plain initdb.
/// </summary>
internal sealed class InitdbCache(string folder)
{
    private const string ManifestFile = "manifest.json";
    private const string DataFolder = "data";

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>
    /// $XDG_CACHE_HOME/mentorstatus, else ~/.cache/mentorstatus (the XDG default); null (no cache: initdb every
    /// time) without a home folder, rather than a relative path that would land in the current folder.
    /// </summary>
    public static string? DefaultFolder()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "mentorstatus");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.IsPathRooted(home) ? Path.Combine(home, ".cache", "mentorstatus") : null;
    }

    /// <param name="Password">The entry's bootstrap password of the postgres role: a copy starts with it and is given
    /// its own random one at once (the manifest is 0600 in the 0700 cache folder).</param>
    private sealed record Manifest(string ServerVersion, string InitdbOptions, Dictionary<string, long> Files, string Password);

    /// <summary>The entry for this server and these initdb options.</summary>
    public string EntryFor(PostgresInstallation installation)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{installation.BinDirectory}\n{installation.Version}\n{Options}")))[..12];
        var version = installation.Version.Split(' ').FirstOrDefault(w => w.Length > 0 && char.IsDigit(w[0])) ?? "unknown";
        return Path.Combine(Folder, $"pg{PostgresInstallation.RequiredMajorVersion}-initdb-{version}-{key}");
    }

    private static string Options => string.Join(' ', LocalCluster.InitdbOptions);

    /// <summary>
    /// Fills the cluster's data folder from a valid entry and returns the entry's bootstrap password (the caller changes
    /// it once the server runs); null (nothing copied, the cluster folder as it was) when there is none or the copy
    /// failed: the caller runs initdb and then <see cref="SaveAsync"/>.
    /// </summary>
    public async Task<string?> TryRestoreAsync(LocalCluster cluster, CancellationToken ct)
    {
        var entry = EntryFor(cluster.Installation);
        if (!Directory.Exists(entry)) return null;
        if (Read(entry, cluster.Installation) is not { } manifest)
        {
            Discard(entry);
            return null;
        }
        // the cluster folder (0700, its passfile) as initdb would leave it, given to postgres when we are root
        await cluster.PrepareFolderAsync(ct);
        // cp -a keeps the owner (the postgres OS user, when we are root) and the 0700 modes the server insists on.
        var copy = await OsProcess.RunAsync("cp", ["-a", Path.Combine(entry, DataFolder), cluster.DataDirectory], false, ct);
        if (copy.ExitCode == 0 && cluster.IsInitialized) return manifest.Password;
        // another rehearsal discarded the entry under us, or the disk is full: start over with initdb
        if (Directory.Exists(cluster.DataDirectory)) Directory.Delete(cluster.DataDirectory, recursive: true);
        return null;
    }

    /// <summary>Keeps a copy of a fresh initdb (before its first start) as the entry; best effort, a failure leaves no trace.</summary>
    /// <param name="password">The password that initdb gave the postgres role.</param>
    public async Task SaveAsync(LocalCluster cluster, string password, CancellationToken ct)
    {
        var entry = EntryFor(cluster.Installation);
        if (Directory.Exists(entry)) return; // another rehearsal saved it first
        CreatePrivate(Folder);
        var build = Path.Combine(Folder, $".build-{Guid.NewGuid():N}");
        try
        {
            CreatePrivate(build);
            var copy = await OsProcess.RunAsync("cp", ["-a", cluster.DataDirectory, Path.Combine(build, DataFolder)], false, ct);
            if (copy.ExitCode != 0) return;
            var data = Path.Combine(build, DataFolder);
            var files = Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(data, f), f => new FileInfo(f).Length);
            PrivateFiles.Write(Path.Combine(build, ManifestFile), JsonSerializer.Serialize(new Manifest(cluster.Installation.Version, Options, files, password)));
            try
            {
                Directory.Move(build, entry); // one step: others see no entry or a whole one
            }
            catch (IOException) when (Directory.Exists(entry))
            {
                // another rehearsal renamed its copy into place first: keep that one
            }
        }
        finally
        {
            if (Directory.Exists(build)) TryDelete(build);
        }
    }

    /// <summary>The manifest of a valid entry: same server version and options, a bootstrap password, PG_VERSION 15,
    /// and every file of the manifest there with its size; else null.</summary>
    private static Manifest? Read(string entry, PostgresInstallation installation)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(entry, ManifestFile)));
            if (manifest is null || manifest.ServerVersion != installation.Version || manifest.InitdbOptions != Options || manifest.Files.Count == 0
                || string.IsNullOrEmpty(manifest.Password))
                return null;
            var data = Path.Combine(entry, DataFolder);
            if (File.ReadAllText(Path.Combine(data, "PG_VERSION")).Trim() != PostgresInstallation.RequiredMajorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
                return null;
            foreach (var (file, size) in manifest.Files)
            {
                var info = new FileInfo(Path.Combine(data, file));
                if (!info.Exists || info.Length != size) return null;
            }
            return manifest;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Moves a bad entry aside in one step (so no one copies it any more), then deletes it.</summary>
    public void Discard(string entry)
    {
        var aside = Path.Combine(Folder, $".stale-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(entry, aside);
        }
        catch (IOException)
        {
            return; // another rehearsal moved it first
        }
        TryDelete(aside);
    }

    private static void CreatePrivate(string path) => PrivateFiles.CreateFolder(path);

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a leftover in the cache folder is harmless: it is never read
        }
    }
}
