using System.Security.Cryptography;
using System.Text;

namespace MentorStatus.Notifications;

/// <summary>
/// Standard Webhooks signing: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the shared
/// secret, sent as "v1,{base64}". A secret written "whsec_{base64}" (the convention) is base64-decoded;
/// any other string is used as its UTF-8 bytes. Receivers verify with <see cref="Verify(string, string, string, string, string)"/>
/// or any Standard Webhooks library.
/// </summary>
public static class WebhookSignature
{
    /// <summary>How far a request's timestamp may be from the receiver's clock, either way (Standard Webhooks: 5 minutes).</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The fewest key bytes a secret may have (after base64-decoding a whsec_ secret): 128 bits.</summary>
    public const int MinimumKeyBytes = 16;

    /// <summary>The key bytes of a secret: the base64-decoded part after "whsec_", else the UTF-8 bytes of the whole string.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <returns>The HMAC key.</returns>
    public static byte[] SecretBytes(string secret) =>
        secret.StartsWith("whsec_", StringComparison.Ordinal) ? Convert.FromBase64String(secret["whsec_".Length..]) : Encoding.UTF8.GetBytes(secret);

    /// <summary>The webhook-signature header value, "v1,{base64}", for one request.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="id">The webhook-id header (the notification id).</param>
    /// <param name="timestamp">The webhook-timestamp header, Unix seconds.</param>
    /// <param name="body">The exact request body.</param>
    /// <returns>The signature, e.g. "v1,K5oZ...".</returns>
    public static string Sign(string secret, string id, long timestamp, string body) =>
        "v1," + Convert.ToBase64String(HMACSHA256.HashData(SecretBytes(secret), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));

    /// <summary>
    /// True when the timestamp is within <see cref="DefaultTolerance"/> of now and one of the space-separated
    /// signatures in the header matches (constant-time compare). A captured request replayed later is refused.
    /// </summary>
    public static bool Verify(string secret, string id, string timestamp, string body, string signatureHeader) =>
        Verify(secret, id, timestamp, body, signatureHeader, DefaultTolerance, TimeProvider.System);

    /// <summary>
    /// True when <paramref name="timestamp"/> (Unix seconds) is no further than <paramref name="tolerance"/> from
    /// <paramref name="time"/>'s now, in the past or the future, and one of the signatures matches. Receivers should
    /// also drop a webhook-id they have seen within the tolerance.
    /// </summary>
    public static bool Verify(string secret, string id, string timestamp, string body, string signatureHeader, TimeSpan tolerance, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        if (!long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ts)) return false;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (ts < now - (long)tolerance.TotalSeconds || ts > now + (long)tolerance.TotalSeconds) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, id, ts, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }
}
