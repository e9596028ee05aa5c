namespace MentorStatus.Tests.Security;

/// <summary>The fixed UUIDs of supabase/seed.sql (see the table at its top).</summary>
public static class Seed
{
    private static Guid Id(string kind, int n) => Guid.Parse($"00000000-0000-4000-{kind}-{n:D12}");

    public static class Chapters
    {
        public static readonly Guid Northgate = Id("a002", 1);
        public static readonly Guid Riverside = Id("a002", 2);
        public static readonly Guid Hilltop = Id("a002", 3);
        public static readonly Guid Harbour = Id("a002", 11);
        public static readonly Guid Meadow = Id("a002", 12);
    }

    public static class Users
    {
        public static readonly Guid Nora = Id("a003", 1);  // coordinator of Northgate
        public static readonly Guid Rami = Id("a003", 2);  // coordinator of Riverside
        public static readonly Guid Hugo = Id("a003", 3);  // Hilltop assignment revoked: no chapter
        public static readonly Guid Sara = Id("a003", 4);  // coordinator of Harbour and Meadow (other organisation)
        public static readonly Guid Alva = Id("a003", 11);
        public static readonly Guid Bo = Id("a003", 12);
        public static readonly Guid Cai = Id("a003", 13);
        public static readonly Guid Dara = Id("a003", 14);
        public static readonly Guid Eli = Id("a003", 15);
        public static readonly Guid Fen = Id("a003", 16);
    }

    public static class Mentors
    {
        public static readonly Guid Alva = Id("a004", 1);  // Northgate, active
        public static readonly Guid Bo = Id("a004", 2);    // Northgate + Riverside, active
        public static readonly Guid Cai = Id("a004", 3);   // Riverside, paused
        public static readonly Guid Dara = Id("a004", 4);  // Hilltop (no coordinator), active
        public static readonly Guid Eli = Id("a004", 5);   // Harbour, active
        public static readonly Guid Fen = Id("a004", 6);   // Meadow, inactive
        public static readonly Guid Gus = Id("a004", 7);   // Harbour, active, no login

        public static readonly IReadOnlyDictionary<string, Guid> ByName = new Dictionary<string, Guid>
        {
            ["Alva"] = Alva, ["Bo"] = Bo, ["Cai"] = Cai, ["Dara"] = Dara, ["Eli"] = Eli, ["Fen"] = Fen, ["Gus"] = Gus,
        };

        public static string NameOf(Guid id) => ByName.Single(p => p.Value == id).Key;
    }

    /// <summary>The actors of the matrix, by the short name the tables in the tests use.</summary>
    public static readonly IReadOnlyDictionary<string, Actor> Actors = new[]
    {
        Actor.Anon,
        Actor.User("alva", Users.Alva),
        Actor.User("bo", Users.Bo),
        Actor.User("cai", Users.Cai),
        Actor.User("nora", Users.Nora),
        Actor.User("rami", Users.Rami),
        Actor.User("sara", Users.Sara),
        Actor.User("hugo", Users.Hugo),
        Actor.ServiceRole,
    }.ToDictionary(a => a.Name);
}
