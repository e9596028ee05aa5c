using System.ComponentModel.DataAnnotations;

namespace MentorStatus.Notifications;

/// <summary>Settings of the webhook channel (bind from configuration section <see cref="SectionName"/>).</summary>
public sealed class WebhookChannelOptions
{
    /// <summary>The configuration section these settings bind from.</summary>
    public const string SectionName = "MentorStatus:Notifications:Webhook";

    /// <summary>Where to POST, e.g. https://PROJECT.supabase.co/functions/v1/notify-coordinator.</summary>
    [Required, Url]
    public string? Url { get; set; }

    /// <summary>Shared signing secret: whsec_ followed by the base64 of at least 16 random bytes (Standard Webhooks), or any string of at least 16 bytes.</summary>
    [Required, MinLength(16)]
    public string? Secret { get; set; }

    /// <summary>Longest wait for the receiver's answer; past it the attempt counts as failed and is retried.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>Allow http:// (a receiver on localhost, tests). Off: the body names coordinators, so it travels over TLS.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>A message naming what is wrong; null when usable.</summary>
    public string? Problem()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            problems.Add($"{SectionName}:Url (an https:// address)");
        else if (uri.Scheme == "http" && !AllowInsecureHttp)
            problems.Add($"{SectionName}:Url must be https:// (or set {SectionName}:AllowInsecureHttp=true for a local receiver)");
        // The key's strength is what counts: whsec_ itself is no secret, so a whsec_ secret is measured after decoding.
        if (string.IsNullOrEmpty(Secret))
            problems.Add($"{SectionName}:Secret (whsec_<base64 of at least {WebhookSignature.MinimumKeyBytes} random bytes>)");
        else
        {
            try
            {
                if (WebhookSignature.SecretBytes(Secret).Length < WebhookSignature.MinimumKeyBytes)
                    problems.Add($"{SectionName}:Secret: the key is shorter than {WebhookSignature.MinimumKeyBytes} bytes " +
                                 "(a whsec_ secret counts the bytes its base64 decodes to; e.g. `openssl rand -base64 32`, prefixed with whsec_)");
            }
            catch (FormatException) { problems.Add($"{SectionName}:Secret: the part after whsec_ is not base64"); }
        }
        if (TimeoutSeconds < 1) problems.Add($"{SectionName}:TimeoutSeconds (> 0)");
        return problems.Count == 0 ? null : "the webhook channel needs " + string.Join(", ", problems);
    }
}
