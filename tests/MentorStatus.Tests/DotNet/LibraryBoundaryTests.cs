using System.Reflection;
using MentorStatus.Database.Migrations;

namespace MentorStatus.Tests.DotNet;

/// <summary>
/// The library's packages (MentorStatus.Core and the MentorStatus.Database it depends on) carry what an application
/// needs at run time: the migration engine and journal, the SQL helpers, the platform layer, the exception root. The
/// tooling (db lint, db security, db diff, db test, local clusters, the lint's extension stand-ins) lives in
/// MentorStatus.Tooling, which only the `mentorstatus` tool, the rehearsal, the bench and the tests reference; the
/// test-only servers and probes live in MentorStatus.TestSupport. These checks read the built assemblies, the same
/// files `dotnet pack` puts in the packages.
/// </summary>
public sealed class LibraryBoundaryTests
{
    private static readonly Assembly Engine = typeof(MigrationRunner).Assembly;
    private static readonly Assembly Library = typeof(CertificationExpiryJob).Assembly;
    private static readonly Assembly Worker = typeof(MentorStatus.Worker.WorkerApp).Assembly;

    /// <summary>Assemblies that must never be a dependency of a shipped library assembly.</summary>
    private static readonly string[] ToolingAssemblies = ["MentorStatus.Tooling", "MentorStatus.TestSupport", "MentorStatus.Rehearsal", "mentorstatus", "Tomlyn"];

    /// <summary>Namespace segments of tooling: lint, security rules, rule directives, local clusters, pgTAP, declarative diff, test probes.</summary>
    private static readonly string[] ToolingNamespaceSegments = ["Lint", "Security", "Rules", "Local", "Testing", "Declarative", "Diagnostics", "Tooling", "TestSupport"];

    /// <summary>Tooling types by name, wherever a namespace would put them.</summary>
    private static readonly string[] ToolingTypeNames =
    [
        "LocalCluster", "LocalPgBouncer", "LocalStandby", "WireRoundTripCounter", "PgTapRunner", "ExtensionStandIns",
        "MigrationLinter", "SecurityInvariants", "DatabaseWorkflow", "DeclarativeSchema", "IgnoreDirectives", "FreePorts",
    ];

    [Fact]
    public void TheEnginePackage_HoldsNoToolingType()
    {
        var offenders = Engine.GetTypes()
            .Where(t => !t.IsNested && t.Namespace is { } ns && ns.StartsWith("MentorStatus", StringComparison.Ordinal)
                && (ns.Split('.').Intersect(ToolingNamespaceSegments).Any() || ToolingTypeNames.Contains(t.Name.Split('`')[0])))
            .Select(t => t.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(offenders.Count == 0,
            $"MentorStatus.Database is packed with the library; these belong in MentorStatus.Tooling (or tests/MentorStatus.TestSupport): {string.Join(", ", offenders)}");
    }

    [Fact]
    public void TheEnginePackage_EmbedsOnlyThePlatformLayer()
    {
        // The lint's extension stand-ins are tooling; the platform layer is what MigrateMentorStatusAsync installs.
        Assert.Equal(["MentorStatus.Database.Platform.supabase_platform_layer.sql"], Engine.GetManifestResourceNames().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("MentorStatus.Database")]
    [InlineData("MentorStatus.Core")]
    [InlineData("mentorstatus-worker")]
    public void NoRuntimeAssembly_ReferencesTheTooling(string assemblyName)
    {
        var assembly = new[] { Engine, Library, Worker }.Single(a => a.GetName().Name == assemblyName);
        var referenced = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var offenders = referenced.Intersect(ToolingAssemblies).ToList();
        Assert.True(offenders.Count == 0,
            $"{assemblyName} references {string.Join(", ", offenders)}: the library and the worker run without the tooling, and MentorStatus.Tooling is not packed");
    }
}
