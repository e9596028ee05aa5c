using System.Security.Cryptography;
using System.Text;

namespace MentorStatus.Notifications;

/// <summary>
/// Standard Webhooks signing: HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the shared
/// secret, sent as "v1,{base64}". A secret written "whsec_{base64}" (the convention) is base64-decoded;
/// any other string is used as its UTF-8 bytes. Receivers verify with <see cref="Verify"/> or any
/// Standard Webhooks library.
/// </summary>
public static class WebhookSignature
{
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

    /// <summary>True when one of the space-separated signatures in the header matches (constant-time compare).</summary>
    public static bool Verify(string secret, string id, string timestamp, string body, string signatureHeader)
    {
        if (!long.TryParse(timestamp, out var ts)) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, id, ts, body));
        return signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), expected));
    }
}
