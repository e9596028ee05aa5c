using System.Collections;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace MentorStatus.DependencyInjection;

/// <summary>
/// Fails start-up on a key under the MentorStatus section that no setting binds to (a typo, or a key that moved):
/// the binder would ignore it silently and the application would run with the default instead. The message names
/// the key, the setting of the same name elsewhere in the section when there is one, and the keys valid there.
/// </summary>
internal sealed class UnknownKeysValidator(IConfiguration section) : IValidateOptions<MentorStatusOptions>
{
    public ValidateOptionsResult Validate(string? name, MentorStatusOptions options)
    {
        var root = section is IConfigurationSection s ? s.Path : MentorStatusOptions.SectionName;
        var known = new List<string>();
        Collect(typeof(MentorStatusOptions), "", known);
        var failures = new List<string>();
        Walk(section, typeof(MentorStatusOptions), root, "", known, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Walk(IConfiguration node, Type type, string root, string prefix, List<string> known, List<string> failures)
    {
        foreach (var child in node.GetChildren())
        {
            var property = Property(type, child.Key);
            if (property is null)
            {
                var elsewhere = known.Where(k => k.Split(':')[^1].Equals(child.Key, StringComparison.OrdinalIgnoreCase)).ToList();
                failures.Add($"{root}:{prefix}{child.Key} is not a setting of the library, so it would be ignored" +
                             (elsewhere.Count > 0
                                 ? $"; did you mean {string.Join(" or ", elsewhere.Select(k => $"{root}:{k}"))}?"
                                 : $"; the keys under {root}{(prefix.Length == 0 ? "" : ":" + prefix.TrimEnd(':'))} are " +
                                   string.Join(", ", Properties(type).Select(p => p.Name)) + "."));
                continue;
            }
            if (!IsLeaf(property.PropertyType))
                Walk(child, property.PropertyType, root, $"{prefix}{property.Name}:", known, failures);
        }
    }

    private static void Collect(Type type, string prefix, List<string> known)
    {
        foreach (var property in Properties(type))
        {
            known.Add(prefix + property.Name);
            if (!IsLeaf(property.PropertyType)) Collect(property.PropertyType, $"{prefix}{property.Name}:", known);
        }
    }

    private static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0);

    private static PropertyInfo? Property(Type type, string key) =>
        Properties(type).FirstOrDefault(p => p.Name.Equals(key, StringComparison.OrdinalIgnoreCase));

    /// <summary>Values and lists: their children (list indexes) are not settings of their own.</summary>
    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
               || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri)
               || typeof(Delegate).IsAssignableFrom(type) || typeof(IEnumerable).IsAssignableFrom(type);
    }
}
