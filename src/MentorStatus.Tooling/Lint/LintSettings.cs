using System.Globalization;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;
using MentorStatus.Database.Migrations;
using MentorStatus.Database;

namespace MentorStatus.Tooling.Lint;

/// <summary>How migrations reach production: this project's runner (`db up`), or the Supabase CLI (the default reading).</summary>
public enum DeployTool { SupabaseDbPush, DbUp }

/// <summary>A project setting for `db lint` that cannot be used as written: the message names the file, the key and the fix.</summary>
public sealed class LintSettingsException(string message) : MentorStatusException(message);

/// <summary>
/// How the project deploys and what it exposes, read from the project so that the lint judges each file the
/// way it will reach production:
/// <list type="bullet">
/// <item>`supabase/lint.toml`, section `[lint]`: `deploy = "db up"` (this project's runner, which sets a session
/// lock_timeout; `lock_timeout = "10s"` says which) or `deploy = "supabase db push"` (no lock_timeout but the
/// file's own); `require_rollbacks = false` for a project without down scripts (MS015 off);
/// `exposed_schemas = [...]`. A separate file, so supabase/config.toml stays exactly what the Supabase CLI reads.</item>
/// <item>`supabase/config.toml` `[api] schemas`: the schemas PostgREST exposes (default `public`).</item>
/// <item>CI files (`.github/workflows/*`, `.gitlab-ci.yml`, `.ci/*`) that run `supabase db push`: then the strict
/// reading wins whatever lint.toml says, as those files are applied without a session lock_timeout.</item>
/// </list>
/// Without any of it the strict reading applies: only a lock_timeout set by the file itself counts.
/// </summary>
public sealed partial record LintSettings
{
    public const string FileName = "lint.toml";

    /// <summary>The tool that applies the migrations in production: what a finding about the runner (MS026) says happens.</summary>
    public DeployTool Deploy { get; init; } = DeployTool.SupabaseDbPush;

    /// <summary>The session lock_timeout the deploy sets before each file, or null when only the file's own counts.</summary>
    public TimeSpan? DeployLockTimeout { get; init; }

    /// <summary>Says which reading of lock_timeout was used and where it came from, for the report.</summary>
    public string LockTimeoutReading { get; init; } =
        "lock_timeout: strict (the default: no supabase/lint.toml `deploy` setting), only a lock_timeout set by the file itself counts (MS005)";

    public bool RequireRollbacks { get; init; } = true;

    public IReadOnlySet<string> ExposedSchemas { get; init; } = new HashSet<string> { "public" };

    [GeneratedRegex(@"supabase\s+db\s+push\b")]
    private static partial Regex DbPush();

    [GeneratedRegex(@"^\s*(?<n>\d+(?:\.\d+)?)\s*(?<unit>ms|s|min)?\s*$")]
    private static partial Regex Duration();

    /// <summary>Reads the project's settings; <paramref name="layout"/>'s files that are absent leave the defaults.</summary>
    public static LintSettings Read(ProjectLayout layout)
    {
        var settings = new LintSettings { ExposedSchemas = ReadExposedSchemas(layout) };
        var path = Path.Combine(layout.SupabaseDirectory, FileName);
        var display = layout.Display(path);
        if (File.Exists(path))
        {
            var lint = Table(ParseToml(path, display), "lint", display);
            if (lint is not null)
            {
                foreach (var key in lint.Keys.Where(k => k is not ("deploy" or "lock_timeout" or "require_rollbacks" or "exposed_schemas")))
                    throw new LintSettingsException($"{display}: unknown key `{key}` in [lint]; known keys: deploy, lock_timeout, require_rollbacks, exposed_schemas.");
                settings = settings with
                {
                    RequireRollbacks = lint.TryGetValue("require_rollbacks", out var r)
                        ? r as bool? ?? throw new LintSettingsException($"{display}: [lint] require_rollbacks must be true or false.")
                        : true,
                    ExposedSchemas = lint.TryGetValue("exposed_schemas", out var s) ? Strings(s, display, "exposed_schemas") : settings.ExposedSchemas,
                };
                settings = WithDeploy(settings, lint, display);
            }
        }
        if (settings.DeployLockTimeout is not null && FindDbPushInCi(layout) is { } ci)
            settings = settings with
            {
                DeployLockTimeout = null,
                Deploy = DeployTool.SupabaseDbPush,
                LockTimeoutReading = $"lock_timeout: strict, because {ci} runs `supabase db push` (no session lock_timeout), " +
                                     $"although {display} says the project deploys with `db up`; only a lock_timeout set by the file itself counts (MS005)",
            };
        return settings;
    }

    private static LintSettings WithDeploy(LintSettings settings, TomlTable lint, string display)
    {
        if (!lint.TryGetValue("deploy", out var value)) return settings;
        var deploy = value as string ?? throw new LintSettingsException($"{display}: [lint] deploy must be a string: \"db up\" or \"supabase db push\".");
        switch (deploy.Trim())
        {
            case "db up":
                var timeout = lint.TryGetValue("lock_timeout", out var t) ? ParseDuration(t, display) : new MigrationOptions().LockTimeout;
                if (timeout <= TimeSpan.Zero)
                    throw new LintSettingsException($"{display}: [lint] lock_timeout must be more than 0 (0 means wait forever, which is what MS005 is about).");
                return settings with
                {
                    DeployLockTimeout = timeout,
                    Deploy = DeployTool.DbUp,
                    LockTimeoutReading = $"lock_timeout: {display} says the project deploys with `db up`, which sets lock_timeout = " +
                                         $"{timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s for each file, so MS005 counts it " +
                                         "(use --strict-lock-timeout to count only the file's own)",
                };
            case "supabase db push":
                return settings with
                {
                    DeployLockTimeout = null,
                    Deploy = DeployTool.SupabaseDbPush,
                    LockTimeoutReading = $"lock_timeout: strict, {display} says the project deploys with `supabase db push` (no session lock_timeout); only a lock_timeout set by the file itself counts (MS005)",
                };
            default:
                throw new LintSettingsException($"{display}: [lint] deploy = \"{deploy}\" is not known; write \"db up\" or \"supabase db push\".");
        }
    }

    private static TimeSpan ParseDuration(object value, string display)
    {
        var text = value switch { string s => s, long whole => whole.ToString(CultureInfo.InvariantCulture) + "s", double d => d.ToString(CultureInfo.InvariantCulture) + "s", _ => "" };
        var match = Duration().Match(text);
        if (!match.Success)
            throw new LintSettingsException($"{display}: [lint] lock_timeout = {value} is not a duration; write e.g. \"10s\", \"500ms\" or \"1min\".");
        var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch { "ms" => TimeSpan.FromMilliseconds(n), "min" => TimeSpan.FromMinutes(n), _ => TimeSpan.FromSeconds(n) };
    }

    /// <summary>supabase/config.toml `[api] schemas`, as PostgREST is configured by the Supabase CLI; public when unset.</summary>
    private static HashSet<string> ReadExposedSchemas(ProjectLayout layout)
    {
        var path = Path.Combine(layout.SupabaseDirectory, "config.toml");
        if (!File.Exists(path)) return ["public"];
        var api = Table(ParseToml(path, layout.Display(path)), "api", layout.Display(path));
        return api is not null && api.TryGetValue("schemas", out var schemas) ? Strings(schemas, layout.Display(path), "[api] schemas") : ["public"];
    }

    private static string? FindDbPushInCi(ProjectLayout layout)
    {
        IEnumerable<string> Files(string dir) => Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.TopDirectoryOnly) : [];
        var candidates = Files(Path.Combine(layout.Root, ".github", "workflows"))
            .Concat(Files(Path.Combine(layout.Root, ".ci")))
            .Append(Path.Combine(layout.Root, ".gitlab-ci.yml"))
            .Where(File.Exists);
        return candidates.Order(StringComparer.Ordinal)
            .FirstOrDefault(f => File.ReadLines(f).Any(l => !l.TrimStart().StartsWith('#') && DbPush().IsMatch(l))) is { } file
            ? layout.Display(file) : null;
    }

    private static TomlTable ParseToml(string path, string display)
    {
        try
        {
            return TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            throw new LintSettingsException($"{display} is not valid TOML: {e.Message}");
        }
    }

    private static TomlTable? Table(TomlTable root, string name, string display) =>
        !root.TryGetValue(name, out var value) ? null
            : value as TomlTable ?? throw new LintSettingsException($"{display}: `{name}` must be a table ([{name}]).");

    private static HashSet<string> Strings(object value, string display, string key) =>
        value is TomlArray array && array.All(x => x is string)
            ? array.Cast<string>().ToHashSet(StringComparer.Ordinal)
            : throw new LintSettingsException($"{display}: {key} must be a list of schema names, e.g. [\"public\"].");
}
