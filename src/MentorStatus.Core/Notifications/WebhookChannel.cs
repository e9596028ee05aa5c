using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MentorStatus.Notifications;

/// <summary>
/// POSTs a JSON body to a receiver (a Supabase Edge Function, a Slack/Teams bridge), signed the Standard
/// Webhooks way (webhook-id, webhook-timestamp, webhook-signature) with Idempotency-Key = webhook-id =
/// the notification id, so the receiver drops a redelivery. 2xx = delivered; 408, 429, 5xx, a timeout
/// or a network error = retry with backoff; any other 4xx = give up (the receiver refuses this request).
/// </summary>
public sealed class WebhookChannel(WebhookChannelOptions options, HttpClient http, TimeProvider? time = null) : INotificationChannel
{
    /// <summary>The channel name used in configuration and recorded per delivery.</summary>
    public const string ChannelName = "webhook";
    /// <summary>The <c>type</c> field of every body this channel sends.</summary>
    public const string EventType = "mentor_status.mentors_paused";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Uri _url = options.Problem() is { } problem ? throw new ArgumentException(problem) : new Uri(options.Url!);

    /// <summary>Always <see cref="ChannelName"/>.</summary>
    public string Name => ChannelName;

    /// <summary>The JSON body (snake_case property names).</summary>
    /// <param name="Type">Always <see cref="EventType"/>.</param>
    /// <param name="Id">The notification id (also the webhook-id and Idempotency-Key headers).</param>
    /// <param name="JobRunId">The job run that paused the mentors.</param>
    /// <param name="CoordinatorUserId">The coordinator to tell.</param>
    /// <param name="CoordinatorEmail">The coordinator's email from auth.users; null when there is none.</param>
    /// <param name="Language">The organisation's language, used for <see cref="PayloadMentor.ReasonDescription"/>.</param>
    /// <param name="Organisation">The organisation's name.</param>
    /// <param name="Mentors">The paused mentors.</param>
    public sealed record Payload(
        [property: JsonPropertyName("type")] string Type,
        Guid Id, Guid JobRunId, Guid CoordinatorUserId, string? CoordinatorEmail, string Language, string Organisation,
        IReadOnlyList<PayloadMentor> Mentors);

    /// <summary>One paused mentor in the body.</summary>
    /// <param name="Id">The mentor id.</param>
    /// <param name="DisplayName">The mentor's display name.</param>
    /// <param name="Chapters">The mentor's chapters that this coordinator coordinates (never the others).</param>
    /// <param name="Reason">The reason code (never free text).</param>
    /// <param name="ReasonDescription">The reason in the payload's language (see <see cref="NotificationTemplates.Describe"/>).</param>
    /// <param name="ViaOrganisationFallback">True when no chapter of the mentor has an active coordinator, so the organisation's coordinators are told instead.</param>
    public sealed record PayloadMentor(Guid Id, string DisplayName, string Chapters, string Reason, string ReasonDescription, bool ViaOrganisationFallback);

    /// <summary>The JSON body sent for <paramref name="m"/> (what the signature covers).</summary>
    /// <param name="m">The message to send.</param>
    public static string Body(NotificationMessage m) => JsonSerializer.Serialize(new Payload(
        EventType, m.Id, m.JobRunId, m.CoordinatorUserId, m.Email, m.Language, m.OrganisationName,
        m.Mentors.Select(x => new PayloadMentor(x.MentorId, x.DisplayName, x.Chapters, x.ReasonCode,
            NotificationTemplates.Describe(m.Language, x), x.ViaOrganisationFallback)).ToList()), Json);

    /// <summary>POSTs the signed body once and maps the answer: 2xx delivered; 408, 429, 5xx, a timeout or a network error retry; any other 4xx give up.</summary>
    public async Task<ChannelResult> DeliverAsync(NotificationMessage message, CancellationToken ct)
    {
        var id = message.IdempotencyKey.ToString();
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        var body = Body(message);
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", id);
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(options.Secret!, id, timestamp, body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.TimeoutSeconds));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var code = (int)response.StatusCode;
            var what = $"webhook {code} {response.ReasonPhrase}";
            return code switch
            {
                >= 200 and < 300 => ChannelResult.Delivered,
                (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests => ChannelResult.Retry(what),
                >= 400 and < 500 => ChannelResult.GiveUp(what),
                _ => ChannelResult.Retry(what),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ChannelResult.Retry($"webhook: no answer within {options.TimeoutSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return ChannelResult.Retry($"webhook: {e.Message}");
        }
    }
}
