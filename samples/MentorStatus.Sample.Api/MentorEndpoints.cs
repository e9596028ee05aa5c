using System.Security.Claims;

namespace MentorStatus.Sample.Api;

/// <summary>GET /mentors/{id}/timeline and POST /mentors/{id}/status, as the signed-in caller.</summary>
public static class MentorEndpoints
{
    /// <summary>The body of POST /mentors/{id}/status.</summary>
    public sealed record StatusRequest(MentorState Status, string Reason);

    /// <summary>Maps the endpoints; both need a valid bearer token.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var mentors = app.MapGroup("/mentors/{id:guid}").RequireAuthorization();

        mentors.MapGet("/timeline", async (Guid id, int? limit, string? cursor, ClaimsPrincipal user, MentorStatusRepository repository, CancellationToken ct) =>
            await Guarded(async () => Results.Ok(await repository.GetTimelineAsync(CallerOf(user), id, limit ?? 20, cursor, ct))));

        mentors.MapPost("/status", async (Guid id, StatusRequest request, ClaimsPrincipal user, MentorStatusRepository repository, CancellationToken ct) =>
            await Guarded(async () => Results.Ok(await repository.ChangeStatusAsync(CallerOf(user), id, request.Status, request.Reason, ct))));
    }

    /// <summary>The caller's JWT subject becomes the library's caller: the database's RLS and rules decide, not this API.</summary>
    private static Caller CallerOf(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue("sub"), out var id) ? Caller.User(id) : throw new UnauthorizedAccessException();

    /// <summary>The library's typed errors as HTTP problems; the message says what to do.</summary>
    private static async Task<IResult> Guarded(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (MentorStatusException e)
        {
            var status = e switch
            {
                MentorNotFoundException => StatusCodes.Status404NotFound,
                // a rule violation (e.g. self_resume out of a coordinator's pause): this caller may not; the message says who may
                StatusChangeNotAllowedException or StatusRuleViolationException => StatusCodes.Status403Forbidden,
                IllegalStatusTransitionException or ConcurrentStatusChangeException => StatusCodes.Status409Conflict,
                UnknownReasonCodeException => StatusCodes.Status422UnprocessableEntity,
                ArgumentTooLongException => StatusCodes.Status400BadRequest,
                StatusChangeRateLimitedException => StatusCodes.Status429TooManyRequests,
                // the connection broke mid-change: the client reads the timeline before trying again (the message says so)
                StatusChangeOutcomeUnknownException => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            };
            return Results.Problem(e.Message, statusCode: status);
        }
        catch (ArgumentException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (UnauthorizedAccessException)
        {
            return Results.Problem("the token has no user id (sub claim); sign in as a user.", statusCode: StatusCodes.Status401Unauthorized);
        }
    }
}
