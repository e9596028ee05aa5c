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

    /// <summary>Shared signing secret: whsec_ followed by base64 (Standard Webhooks), or any string of at least 16 characters.</summary>
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
        if (string.IsNullOrEmpty(Secret) || Secret.Length < 16)
            problems.Add($"{SectionName}:Secret (whsec_<base64> or at least 16 characters)");
        else if (Secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            try { WebhookSignature.SecretBytes(Secret); }
            catch (FormatException) { problems.Add($"{SectionName}:Secret: the part after whsec_ is not base64"); }
        }
        if (TimeoutSeconds < 1) problems.Add($"{SectionName}:TimeoutSeconds (> 0)");
        return problems.Count == 0 ? null : "the webhook channel needs " + string.Join(", ", problems);
    }
}
