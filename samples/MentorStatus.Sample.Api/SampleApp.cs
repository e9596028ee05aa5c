using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace MentorStatus.Sample.Api;

/// <summary>
/// The whole sample: the library through AddMentorStatus only, Supabase JWTs (HS256, the project's JWT secret)
/// checked by ASP.NET Core, and the caller's own identity handed to the library so row-level security decides.
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
            var secret = builder.Configuration["Supabase:JwtSecret"]
                         ?? throw new InvalidOperationException("Supabase:JwtSecret is missing: set it to the project's JWT secret (Supabase dashboard, API settings).");
            options.TokenValidationParameters = new TokenValidationParameters
            {
                IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)),
                ValidateIssuer = false,
                ValidAudience = "authenticated",
            };
        });
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        MentorEndpoints.Map(app);
        app.MapHealthChecks("/healthz");
        return app;
    }
}
