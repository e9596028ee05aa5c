using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace MentorStatus.Sample.Api;

/// <summary>
/// The whole sample: the library through AddMentorStatus only, Supabase JWTs checked by ASP.NET Core, and the caller's
/// own identity handed to the library so row-level security decides. Tokens are accepted when signed by one of the
/// project's asymmetric signing keys (ES256 or RS256, published as a JWKS at Supabase:Url + /auth/v1/.well-known/jwks.json,
/// fetched and refreshed by the JWT handler, a key rotation included) or, for projects still on it, with the legacy
/// HS256 JWT secret (Supabase:JwtSecret). Either or both may be configured.
/// </summary>
public static class SampleApp
{
    /// <summary>Builds the app; <paramref name="configure"/> lets a test add settings first.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.Services.AddMentorStatus(builder.Configuration.GetSection("MentorStatus"));
        // "paused", not 1: statuses travel as the database's labels
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower)));
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false; // keep "sub" as it is in the token
            var secret = NonEmpty(builder.Configuration["Supabase:JwtSecret"]);
            var projectUrl = NonEmpty(builder.Configuration["Supabase:Url"])?.TrimEnd('/');
            var jwksUrl = NonEmpty(builder.Configuration["Supabase:JwksUrl"]) ?? (projectUrl is null ? null : projectUrl + "/auth/v1/.well-known/jwks.json");
            if (secret is null && jwksUrl is null)
                throw new InvalidOperationException(
                    "no way to check Supabase JWTs: set Supabase:Url to the project's URL (https://<ref>.supabase.co: its JWT signing keys, " +
                    "ES256/RS256, are read from /auth/v1/.well-known/jwks.json), or Supabase:JwtSecret to the legacy JWT secret, or both " +
                    "(Supabase dashboard, Project Settings, JWT Keys).");
            options.TokenValidationParameters = new TokenValidationParameters
            {
                IssuerSigningKey = secret is null ? null : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)),
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.HmacSha256],
                // Supabase Auth signs with iss = <project URL>/auth/v1; checked when the project URL is configured.
                ValidateIssuer = projectUrl is not null,
                ValidIssuer = projectUrl is null ? null : projectUrl + "/auth/v1",
                ValidAudience = "authenticated",
            };
            if (jwksUrl is not null)
            {
                // The handler asks this manager for the signing keys (cached, refreshed daily and when a token names a
                // kid it does not know yet) and adds them to the legacy secret's key.
                var uri = new Uri(jwksUrl);
                options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(jwksUrl, new JwksRetriever(),
                    new HttpDocumentRetriever { RequireHttps = !uri.IsLoopback });
            }
        });
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        MentorEndpoints.Map(app);
        app.MapHealthChecks("/healthz");
        return app;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>Reads a bare JWKS document (Supabase publishes the keys without an OpenID discovery document around them).</summary>
    private sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = keys };
            foreach (var key in keys.GetSigningKeys()) configuration.SigningKeys.Add(key);
            return configuration;
        }
    }
}
