namespace MentorStatus.Database.Migrations;

/// <summary>What the engine did to a file (in JSON: "applied", "reverted", "seeded").</summary>
public enum MigrationAction
{
    /// <summary>A migration ran and its journal row was written.</summary>
    Applied,
    /// <summary>A rollback script ran and the migration's journal row was removed.</summary>
    Reverted,
    /// <summary>supabase/seed.sql ran and was recorded in seed_files.</summary>
    Seeded,
}
