using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MentorStatus.Sample.Api;
using MentorStatus.Tests.Infrastructure;
using MentorStatus.Tests.Library;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MentorStatus.Tests.Samples;

/// <summary>
/// The sample API (samples/MentorStatus.Sample.Api) on Kestrel on a free port, against a migrated database of the
/// suite's test cluster, called over HTTP with Supabase-style JWTs. Nothing is mocked: RLS and
/// public.change_mentor_status decide, the API only turns their answers into HTTP.
/// </summary>
public sealed class SampleApiTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    private const string JwtSecret = "a-test-secret-of-at-least-32-bytes-length!";

    private static string Token(Guid userId, string secret = JwtSecret) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("role", "authenticated")]),
        Audience = "authenticated",
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
    });

    private static HttpRequestMessage Get(string path, string? token) => With(new HttpRequestMessage(HttpMethod.Get, path), token);

    private static HttpRequestMessage Post(string path, string? token, MentorState status, string reason) =>
        With(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { status, reason }, options: Json) }, token);

    private static HttpRequestMessage With(HttpRequestMessage request, string? token)
    {
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact]
    public async Task MentorReadsAndPausesThemself_ThroughTheApi_RlsAndRulesDecideForOthers()
    {
        await using var db = await LibraryDatabase.CreateAsync("sample_api");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var mentor = await db.MentorAsync(org, [chapter], withLogin: true); // its insert writes the initial_status record
        var mentorUser = await db.UserOfMentorAsync(mentor);
        var coordinator = await db.CoordinatorAsync([chapter]);
        var stranger = await db.UserAsync();
        const string History = "select count(*) from public.peer_mentor_status_history where mentor_id = $1";

        var url = $"http://127.0.0.1:{TestCluster.FreePort()}";
        await using var app = SampleApp.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MentorStatus:ConnectionString"] = db.ConnectionString,
            ["Supabase:JwtSecret"] = JwtSecret,
            ["Urls"] = url,
        }));
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var timelinePath = $"/mentors/{mentor}/timeline";
            var statusPath = $"/mentors/{mentor}/status";

            // no token, or a token signed with another secret: refused before the library is reached
            using (var r = await http.SendAsync(Get(timelinePath, null))) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            using (var r = await http.SendAsync(Post(statusPath, null, MentorState.Paused, ReasonCodes.SelfPause)))
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            using (var r = await http.SendAsync(Get(timelinePath, Token(mentorUser, "another-secret-of-at-least-32-bytes-length!"))))
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Equal(1, await db.CountAsync(History, mentor));

            // the mentor reads their timeline: the initial_status record their insert wrote
            using (var r = await http.SendAsync(Get(timelinePath, Token(mentorUser))))
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                var initial = Assert.Single((await r.Content.ReadFromJsonAsync<TimelinePage>(Json))!.Items);
                Assert.Equal(ReasonCodes.InitialStatus, initial.Reason);
                Assert.Equal(MentorState.Active, initial.NewStatus);
            }

            // the mentor pauses themself: changed_by is their user id, taken from the token; one history row written
            using (var r = await http.SendAsync(Post(statusPath, Token(mentorUser), MentorState.Paused, ReasonCodes.SelfPause)))
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                var change = (await r.Content.ReadFromJsonAsync<StatusChange>(Json))!;
                Assert.Equal((MentorState?)MentorState.Active, change.PreviousStatus);
                Assert.Equal(MentorState.Paused, change.NewStatus);
                Assert.Equal(mentorUser, change.ChangedBy);
            }
            Assert.Equal("paused", await db.StatusAsync(mentor));
            Assert.Equal(2, await db.CountAsync(History, mentor));
            Assert.Equal(1, await db.CountAsync(History + " and changed_by = $2 and reason = 'self_pause' and previous_status = 'active' and new_status = 'paused'",
                mentor, mentorUser));

            // their timeline, as them: newest first, their pause then the initial record
            using (var r = await http.SendAsync(Get(timelinePath, Token(mentorUser))))
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                var page = (await r.Content.ReadFromJsonAsync<TimelinePage>(Json))!;
                Assert.Equal([ReasonCodes.SelfPause, ReasonCodes.InitialStatus], page.Items.Select(i => i.Reason));
                Assert.Equal(mentorUser, page.Items[0].ChangedBy);
                Assert.Null(page.NextCursor);
            }

            // a user who is neither the mentor nor their coordinator: RLS hides the mentor, so the timeline is empty (200,
            // as the library defines it) and a change is 404 (not found, not "forbidden": the mentor's existence is not told)
            using (var r = await http.SendAsync(Get(timelinePath, Token(stranger))))
            {
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Empty((await r.Content.ReadFromJsonAsync<TimelinePage>(Json))!.Items);
            }
            using (var r = await http.SendAsync(Post(statusPath, Token(stranger), MentorState.Active, ReasonCodes.SelfResume)))
                Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal("paused", await db.StatusAsync(mentor));
            Assert.Equal(2, await db.CountAsync(History, mentor));

            // the mentor resumes, then the coordinator pauses them: the mentor may not resume out of a coordinator's pause
            using (var r = await http.SendAsync(Post(statusPath, Token(mentorUser), MentorState.Active, ReasonCodes.SelfResume)))
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using (var r = await http.SendAsync(Post(statusPath, Token(coordinator), MentorState.Paused, ReasonCodes.CoordinatorManualPause)))
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(1, await db.CountAsync(History + " and changed_by = $2 and reason = 'coordinator_manual_pause'", mentor, coordinator));
            Assert.Equal(4, await db.CountAsync(History, mentor));

            using (var r = await http.SendAsync(Post(statusPath, Token(mentorUser), MentorState.Active, ReasonCodes.SelfResume)))
            {
                Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
                var problem = await r.Content.ReadAsStringAsync();
                Assert.Contains("coordinator_resume", problem, StringComparison.Ordinal); // the message says who may
            }
            // a reason that is no code at all, and a code that does not lead from paused to paused
            using (var r = await http.SendAsync(Post(statusPath, Token(mentorUser), MentorState.Active, "felt_better")))
                Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
            using (var r = await http.SendAsync(Post(statusPath, Token(coordinator), MentorState.Paused, ReasonCodes.CoordinatorResume)))
                Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            // refusals write nothing
            Assert.Equal("paused", await db.StatusAsync(mentor));
            Assert.Equal(4, await db.CountAsync(History, mentor));

            // the coordinator may resume them
            using (var r = await http.SendAsync(Post(statusPath, Token(coordinator), MentorState.Active, ReasonCodes.CoordinatorResume)))
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("active", await db.StatusAsync(mentor));
            Assert.Equal(5, await db.CountAsync(History, mentor));
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>
    /// Supabase's asymmetric JWT signing keys: the project publishes them as a JWKS at /auth/v1/.well-known/jwks.json
    /// (served here by a Kestrel of the test on a free port). Tokens signed with its ES256 and RS256 keys pass, and so
    /// does one signed with the legacy HS256 secret when that is configured too; a token signed by a key that is not in
    /// the set (same kid), or with another issuer, is refused.
    /// </summary>
    [Fact]
    public async Task TokensSignedWithTheProjectsJwksKeys_Es256AndRs256_PassAsDoesTheLegacySecret()
    {
        await using var db = await LibraryDatabase.CreateAsync("sample_api_jwks");
        var org = await db.OrganisationAsync();
        var chapter = await db.ChapterAsync(org);
        var mentor = await db.MentorAsync(org, [chapter], withLogin: true);
        var mentorUser = await db.UserOfMentorAsync(mentor);

        using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        using var stranger = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var ecPublic = ec.ExportParameters(false);
        var rsaPublic = rsa.ExportParameters(false);
        var jwks = JsonSerializer.Serialize(new
        {
            keys = new object[]
            {
                new { kty = "EC", crv = "P-256", x = Base64UrlEncoder.Encode(ecPublic.Q.X!), y = Base64UrlEncoder.Encode(ecPublic.Q.Y!), kid = "ec-key", alg = "ES256", use = "sig" },
                new { kty = "RSA", n = Base64UrlEncoder.Encode(rsaPublic.Modulus!), e = Base64UrlEncoder.Encode(rsaPublic.Exponent!), kid = "rsa-key", alg = "RS256", use = "sig" },
            },
        });

        var authUrl = $"http://127.0.0.1:{TestCluster.FreePort()}";
        await using var authApp = WebApplication.CreateSlimBuilder().Build();
        authApp.Urls.Add(authUrl);
        authApp.MapGet("/auth/v1/.well-known/jwks.json", () => Microsoft.AspNetCore.Http.Results.Text(jwks, "application/json"));
        await authApp.StartAsync();

        var url = $"http://127.0.0.1:{TestCluster.FreePort()}";
        await using var app = SampleApp.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MentorStatus:ConnectionString"] = db.ConnectionString,
            ["Supabase:Url"] = authUrl,
            ["Supabase:JwtSecret"] = JwtSecret,
            ["Urls"] = url,
        }));
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var issuer = authUrl + "/auth/v1";
            string Signed(SecurityKey key, string algorithm, string iss = "") => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Subject = new ClaimsIdentity([new Claim("sub", mentorUser.ToString()), new Claim("role", "authenticated")]),
                Audience = "authenticated",
                Issuer = iss.Length > 0 ? iss : issuer,
                Expires = DateTime.UtcNow.AddMinutes(5),
                SigningCredentials = new SigningCredentials(key, algorithm),
            });
            async Task<HttpStatusCode> TimelineWith(string token)
            {
                using var r = await http.SendAsync(Get($"/mentors/{mentor}/timeline", token));
                return r.StatusCode;
            }

            Assert.Equal(HttpStatusCode.OK, await TimelineWith(Signed(new ECDsaSecurityKey(ec) { KeyId = "ec-key" }, SecurityAlgorithms.EcdsaSha256)));
            Assert.Equal(HttpStatusCode.OK, await TimelineWith(Signed(new RsaSecurityKey(rsa) { KeyId = "rsa-key" }, SecurityAlgorithms.RsaSha256)));
            Assert.Equal(HttpStatusCode.OK, await TimelineWith(Signed(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(JwtSecret)), SecurityAlgorithms.HmacSha256)));

            Assert.Equal(HttpStatusCode.Unauthorized, await TimelineWith(Signed(new ECDsaSecurityKey(stranger) { KeyId = "ec-key" }, SecurityAlgorithms.EcdsaSha256)));
            Assert.Equal(HttpStatusCode.Unauthorized, await TimelineWith(Signed(new ECDsaSecurityKey(ec) { KeyId = "ec-key" }, SecurityAlgorithms.EcdsaSha256,
                iss: "https://another-project.supabase.co/auth/v1")));
        }
        finally
        {
            await app.StopAsync();
            await authApp.StopAsync();
        }
    }
}
