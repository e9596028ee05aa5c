namespace MentorStatus;

/// <summary>
/// On whose behalf a call runs. <see cref="User"/>: role authenticated with the user's JWT claims set
/// locally in the call's transaction, so row-level security decides. <see cref="Service"/>: the trusted
/// backend as service_role (reads everything, changes statuses only through the system path).
/// </summary>
public abstract record Caller
{
    /// <summary>
    /// The trusted backend (service_role), named after the running program (the entry assembly, lower case:
    /// <c>mentorstatus.worker</c>, <c>mentorstatus</c> for the CLI). A system status change made without a job run
    /// records this name (public.system_status_change_sources); use <see cref="ServiceNamed"/> to say more.
    /// </summary>
    public static Caller Service { get; } = new ServiceCaller(ServiceCaller.DefaultName());

    /// <summary>The trusted backend (service_role) under a name of its own, recorded with the system changes it makes.</summary>
    /// <param name="name">Lower-case letters, digits, <c>_ . -</c>; 2 to 63 characters, starting with a letter (e.g. <c>support-console</c>).</param>
    /// <exception cref="ArgumentException">The name is not such a name.</exception>
    public static Caller ServiceNamed(string name) =>
        ServiceCaller.IsName(name) ? new ServiceCaller(name)
        : throw new ArgumentException($"service name '{name}' is not a name: use 2 to 63 lower-case letters, digits, '_', '.' or '-', starting with a letter (e.g. support-console)", nameof(name));

    /// <summary>A signed-in user (auth.users id): row-level security decides.</summary>
    /// <param name="userId">The user's auth.users id (the JWT's sub).</param>
    public static Caller User(Guid userId) => new UserCaller(userId);

    /// <summary>A signed-in user.</summary>
    /// <param name="UserId">The user's auth.users id (the JWT's sub).</param>
    public sealed record UserCaller(Guid UserId) : Caller
    {
        /// <summary>What PostgREST would put in request.jwt.claims for this user.</summary>
        /// <remarks>Concatenated, not serialized: a Guid has no character JSON must escape, and this runs on every call.</remarks>
        public string ClaimsJson => "{\"sub\":\"" + UserId.ToString() + "\",\"role\":\"authenticated\"}";

        /// <inheritdoc />
        public override string ToString() => $"user {UserId}";
    }

    /// <summary>The trusted backend.</summary>
    /// <param name="Name">The service's name, recorded with the system status changes it makes without a job run.</param>
    public sealed record ServiceCaller(string Name) : Caller
    {
        /// <inheritdoc />
        public override string ToString() => $"service {Name}";

        internal static bool IsName(string? name) =>
            name is { Length: >= 2 and <= 63 } && name[0] is >= 'a' and <= 'z'
            && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-');

        // The entry assembly's name in the database's format (public.system_status_change_sources.service).
        internal static string DefaultName()
        {
            var raw = (System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "mentorstatus").ToLowerInvariant();
            var chars = raw.Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-' ? c : '-').ToArray();
            var name = new string(chars).TrimStart('-', '_', '.', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
            if (name.Length > 63) name = name[..63];
            return IsName(name) ? name : "mentorstatus";
        }
    }
}
