using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Library;

/// <summary>A fresh migrated database per test with a library data source, and builders for the test's own fixtures.</summary>
public sealed class LibraryDatabase : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; }
    /// <summary>The database's URL with its password, for the command line.</summary>
    public string Url { get; }

    /// <summary>With the password (NpgsqlDataSource.ConnectionString leaves it out), for services that build their own data source.</summary>
    public string ConnectionString { get; }

    private LibraryDatabase(NpgsqlDataSource dataSource, string connectionString, string url) =>
        (DataSource, ConnectionString, Url) = (dataSource, connectionString, url);

    public static async Task<LibraryDatabase> CreateAsync(string purpose)
    {
        var target = await TestDatabases.MigratedAsync(purpose);
        return new LibraryDatabase(MentorStatusDataSource.Create(target.ConnectionString), target.ConnectionString, target.Url);
    }

    /// <summary>The builders on a database the test made itself (e.g. on its own primary with a standby).</summary>
    public static LibraryDatabase On(string connectionString) =>
        new(MentorStatusDataSource.Create(connectionString), connectionString, connectionString); // --db-url takes a connection string too

    public async Task<Guid> OrganisationAsync(string name = "Org")
    {
        var id = Guid.NewGuid();
        await DataSource.ExecuteAsync("insert into public.organisations (id, name) values ($1, $2)", id, name);
        return id;
    }

    public async Task<Guid> ChapterAsync(Guid organisation, string name = "Chapter")
    {
        var id = Guid.NewGuid();
        await DataSource.ExecuteAsync("insert into public.chapters (id, organisation_id, name) values ($1, $2, $3)", id, organisation, name);
        return id;
    }

    public async Task<Guid> UserAsync()
    {
        var id = Guid.NewGuid();
        await DataSource.ExecuteAsync("insert into auth.users (id, email) values ($1, $2)", id, $"{id:N}@example.org");
        return id;
    }

    /// <summary>A user who coordinates these chapters (revoked: the assignment has ended).</summary>
    public async Task<Guid> CoordinatorAsync(Guid[] chapters, bool revoked = false)
    {
        var user = await UserAsync();
        foreach (var chapter in chapters)
            await DataSource.ExecuteAsync(
                "insert into public.coordinator_assignments (user_id, chapter_id, revoked_at) values ($1, $2, case when $3 then now() end)",
                user, chapter, revoked);
        return user;
    }

    /// <summary>A mentor in these chapters. expiresInDays null = no certification; negative = expired.</summary>
    public async Task<Guid> MentorAsync(Guid organisation, Guid[] chapters, double? expiresInDays = null, string status = "active",
        bool withLogin = false, bool deleted = false, string name = "Mentor")
    {
        var id = Guid.NewGuid();
        Guid? user = withLogin ? await UserAsync() : null;
        await DataSource.ExecuteAsync("""
            insert into public.peer_mentors (id, user_id, organisation_id, display_name, status, certification_expires_at, deleted_at)
            values ($1, $2, $3, $4, $5::public.mentor_status,
                    case when $6::float8 is null then null else now() + make_interval(secs => $6::float8 * 86400) end,
                    case when $7 then now() end)
            """, id, (object?)user ?? DBNull.Value, organisation, name, status, (object?)expiresInDays ?? DBNull.Value, deleted);
        foreach (var chapter in chapters)
            await DataSource.ExecuteAsync("insert into public.chapter_memberships (mentor_id, chapter_id) values ($1, $2)", id, chapter);
        return id;
    }

    public Task<Guid> UserOfMentorAsync(Guid mentor) => DataSource.ScalarAsync<Guid>("select user_id from public.peer_mentors where id = $1", mentor);

    public Task<string> StatusAsync(Guid mentor) => DataSource.ScalarAsync<string>("select status::text from public.peer_mentors where id = $1", mentor);

    public Task<long> CountAsync(string sql, params object[] values) => DataSource.ScalarAsync<long>(sql, values);

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync();
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}
