using System.Text.Json.Serialization;
using NpgsqlTypes;

namespace MentorStatus;

/// <summary>
/// public.mentor_status. Named MentorState so that it does not clash with the MentorStatus namespace.
/// The labels are checked against pg_enum at start-up (<see cref="MentorStatusDataSource"/>).
/// In JSON a status is its database label ("paused", as PostgREST and supabase-js show it), never a number.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MentorState>))]
public enum MentorState
{
    /// <summary>Working as a mentor.</summary>
    [PgName("active"), JsonStringEnumMemberName("active")] Active,
    /// <summary>Temporarily not mentoring (by themself, a coordinator or an expired certification).</summary>
    [PgName("paused"), JsonStringEnumMemberName("paused")] Paused,
    /// <summary>No longer a mentor.</summary>
    [PgName("inactive"), JsonStringEnumMemberName("inactive")] Inactive,
}

/// <summary>The codes of public.mentor_status_reason_codes, checked against the table at start-up.</summary>
public static class ReasonCodes
{
    /// <summary>Reason code <c>self_pause</c>.</summary>
    public const string SelfPause = "self_pause";
    /// <summary>Reason code <c>self_resume</c>.</summary>
    public const string SelfResume = "self_resume";
    /// <summary>Reason code <c>coordinator_manual_pause</c>.</summary>
    public const string CoordinatorManualPause = "coordinator_manual_pause";
    /// <summary>Reason code <c>coordinator_resume</c>.</summary>
    public const string CoordinatorResume = "coordinator_resume";
    /// <summary>Reason code <c>coordinator_deactivate</c>.</summary>
    public const string CoordinatorDeactivate = "coordinator_deactivate";
    /// <summary>Reason code <c>coordinator_reactivate</c>.</summary>
    public const string CoordinatorReactivate = "coordinator_reactivate";
    /// <summary>Reason code <c>certification_expired</c>.</summary>
    public const string CertificationExpired = "certification_expired";
    /// <summary>Reason code <c>certification_renewed</c>.</summary>
    public const string CertificationRenewed = "certification_renewed";
    /// <summary>Reason code <c>coordinator_certification_override</c>.</summary>
    public const string CoordinatorCertificationOverride = "coordinator_certification_override";
    /// <summary>Reason code <c>initial_status</c>.</summary>
    public const string InitialStatus = "initial_status";

    /// <summary>Every code, in the order of the table's seed.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SelfPause, SelfResume, CoordinatorManualPause, CoordinatorResume, CoordinatorDeactivate,
        CoordinatorReactivate, CertificationExpired, CertificationRenewed, CoordinatorCertificationOverride, InitialStatus,
    ];
}
