namespace MentorStatus;

/// <summary>
/// On whose behalf a call runs. <see cref="User"/>: role authenticated with the user's JWT claims set
/// locally in the call's transaction, so row-level security decides. <see cref="Service"/>: the trusted
/// backend as service_role (reads everything, changes statuses only through the system path).
/// </summary>
public abstract record Caller
{
    /// <summary>The trusted backend (service_role).</summary>
    public static Caller Service { get; } = new ServiceCaller();

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
    public sealed record ServiceCaller : Caller
    {
        /// <inheritdoc />
        public override string ToString() => "service";
    }
}
