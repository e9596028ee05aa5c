using Npgsql;

namespace MentorStatus;

/// <summary>Prepares an <see cref="NpgsqlDataSourceBuilder"/> for the mentor-status library.</summary>
public static class NpgsqlDataSourceBuilderExtensions
{
    /// <summary>
    /// Maps the database enum <c>public.mentor_status</c> to <see cref="MentorState"/>. Every data source the
    /// library reads through needs it; <see cref="MentorStatusDataSource.VerifyAsync"/> fails without it.
    /// </summary>
    /// <param name="builder">The builder of the application's data source.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static NpgsqlDataSourceBuilder UseMentorStatus(this NpgsqlDataSourceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.MapEnum<MentorState>(MentorStatusDataSource.EnumTypeName);
        return builder;
    }
}
