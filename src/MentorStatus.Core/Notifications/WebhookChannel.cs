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
    public const string ChannelName = "webhook";
    public const string EventType = "mentor_status.mentors_paused";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Uri _url = options.Problem() is { } problem ? throw new ArgumentException(problem) : new Uri(options.Url!);

    public string Name => ChannelName;

    public sealed record Payload(
        [property: JsonPropertyName("type")] string Type,
        Guid Id, Guid JobRunId, Guid CoordinatorUserId, string? CoordinatorEmail, string Language, string Organisation,
        IReadOnlyList<PayloadMentor> Mentors);

    public sealed record PayloadMentor(Guid Id, string DisplayName, string Chapters, string Reason, string ReasonDescription, bool ViaOrganisationFallback);

    public static string Body(NotificationMessage m) => JsonSerializer.Serialize(new Payload(
        EventType, m.Id, m.JobRunId, m.CoordinatorUserId, m.Email, m.Language, m.OrganisationName,
        m.Mentors.Select(x => new PayloadMentor(x.MentorId, x.DisplayName, x.Chapters, x.ReasonCode,
            NotificationTemplates.Describe(m.Language, x), x.ViaOrganisationFallback)).ToList()), Json);

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
