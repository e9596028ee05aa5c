using MentorStatus.Database;
using MentorStatus.Tests.Infrastructure;
using Npgsql;

namespace MentorStatus.Tests.Engine;

/// <summary>
/// A postgresql:// URL keeps every libpq parameter a user may pass (as psql and the Supabase CLI read them), each on its
/// Npgsql equivalent; one Npgsql cannot honour, or one that is no libpq parameter, is refused with the reason.
/// </summary>
public sealed class DatabaseUrlTests
{
    private static NpgsqlConnectionStringBuilder Parsed(string query) =>
        new(DatabaseTarget.Parse($"postgresql://postgres:pw@db.example.com:5432/postgres?{query}").ConnectionString);

    [Fact]
    public void TlsClientCertificatesAndSessionParameters_MapToNpgsql()
    {
        var b = Parsed("sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fsupabase.crt&sslcert=client.crt&sslkey=client.key&sslpassword=s3cret" +
                       "&application_name=mentor-api&options=-c%20search_path%3Dapp&host=db1.example.com,db2.example.com&target_session_attrs=read-write&connect_timeout=7" +
                       "&keepalives=1&keepalives_idle=30&keepalives_interval=5&channel_binding=require&krbsrvname=postgres&client_encoding=UTF8");
        Assert.Equal(SslMode.VerifyFull, b.SslMode);
        Assert.Equal("/etc/ssl/supabase.crt", b.RootCertificate);
        Assert.Equal("client.crt", b.SslCertificate);
        Assert.Equal("client.key", b.SslKey);
        Assert.Equal("s3cret", b.SslPassword);
        Assert.Equal("mentor-api", b.ApplicationName);
        Assert.Equal("-c search_path=app", b.Options);
        Assert.Equal("read-write", b.TargetSessionAttributes);
        Assert.Equal("db1.example.com,db2.example.com", b.Host);
        Assert.Equal(7, b.Timeout);
        Assert.True(b.TcpKeepAlive);
        Assert.Equal(30, b.TcpKeepAliveTime);
        Assert.Equal(5, b.TcpKeepAliveInterval);
        Assert.Equal(ChannelBinding.Require, b.ChannelBinding);
        Assert.Equal("postgres", b.KerberosServiceName);
        Assert.Equal("UTF8", b.ClientEncoding);
    }

    [Fact]
    public void HostAndCredentialsInTheQuery_WinAsInLibpq_AndTheDefaultApplicationNameYieldsToTheUrls()
    {
        var b = Parsed("host=%2Fvar%2Frun%2Fpostgresql&port=6432&dbname=app&user=svc&password=p%40ss&fallback_application_name=fb");
        Assert.Equal("/var/run/postgresql", b.Host);
        Assert.Equal(6432, b.Port);
        Assert.Equal("app", b.Database);
        Assert.Equal("svc", b.Username);
        Assert.Equal("p@ss", b.Password);
        Assert.Equal("fb", b.ApplicationName);
        Assert.Equal("mentorstatus", Parsed("sslmode=disable").ApplicationName);
    }

    [Theory]
    [InlineData("sslmdoe=require", "unknown parameter 'sslmdoe'")]
    [InlineData("keepalives_count=3", "'keepalives_count' has no Npgsql equivalent")]
    [InlineData("service=prod", "'service' has no Npgsql equivalent")]
    [InlineData("connect_timeout=soon", "connect_timeout must be a whole number from 0 to 1024, not 'soon'")]
    [InlineData("target_session_attrs=writable", "unknown target_session_attrs 'writable'")]
    [InlineData("channel_binding=maybe", "unknown channel_binding 'maybe'")]
    [InlineData("target_session_attrs=read-write", "target_session_attrs=read-write needs several hosts here")]
    public void AParameterThatCannotBeHonoured_IsRefusedNamingIt(string query, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => Parsed(query));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void TheUnknownParameterError_ListsTheParametersThatAreRead()
    {
        var error = Assert.Throws<ArgumentException>(() => Parsed("sslrootcrt=x"));
        Assert.Contains("sslrootcert", error.Message);
        Assert.Contains("target_session_attrs", error.Message);
    }

    [Fact]
    public async Task TheParametersReachTheServer()
    {
        var target = await TestDatabases.EmptyAsync("url_params");
        var url = target.Url.Replace("postgres://", "postgresql://", StringComparison.Ordinal) +
                  "?sslmode=disable&application_name=url-probe&options=-c%20statement_timeout%3D4321&connect_timeout=5&keepalives_idle=30";
        await using var dataSource = DatabaseTarget.Parse(url).CreateDataSource();

        Assert.Equal("url-probe", await dataSource.ScalarAsync<string>("select current_setting('application_name')"));
        Assert.Equal("4321ms", await dataSource.ScalarAsync<string>("show statement_timeout"));
    }
}
