using NpgsqlTypes;

namespace MentorStatus;

/// <summary>
/// public.mentor_status. Named MentorState so that it does not clash with the MentorStatus namespace.
/// The labels are checked against pg_enum at start-up (<see cref="MentorStatusDataSource"/>).
/// </summary>
public enum MentorState
{
    [PgName("active")] Active,
    [PgName("paused")] Paused,
    [PgName("inactive")] Inactive,
}

/// <summary>The codes of public.mentor_status_reason_codes, checked against the table at start-up.</summary>
public static class ReasonCodes
{
    public const string SelfPause = "self_pause";
    public const string SelfResume = "self_resume";
    public const string CoordinatorManualPause = "coordinator_manual_pause";
    public const string CoordinatorResume = "coordinator_resume";
    public const string CoordinatorDeactivate = "coordinator_deactivate";
    public const string CoordinatorReactivate = "coordinator_reactivate";
    public const string CertificationExpired = "certification_expired";
    public const string CertificationRenewed = "certification_renewed";
    public const string CoordinatorCertificationOverride = "coordinator_certification_override";
    public const string InitialStatus = "initial_status";

    public static IReadOnlyList<string> All { get; } =
    [
        SelfPause, SelfResume, CoordinatorManualPause, CoordinatorResume, CoordinatorDeactivate,
        CoordinatorReactivate, CertificationExpired, CertificationRenewed, CoordinatorCertificationOverride, InitialStatus,
    ];
}
