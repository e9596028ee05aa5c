using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace MentorStatus.Notifications;

/// <summary>A rendered message: subject, plain text and HTML.</summary>
public sealed record RenderedMessage(string Subject, string Text, string Html);

/// <summary>
/// The email templates, in Norwegian Bokmål (nb, the default) and English (en), chosen by the
/// organisation's language. A mentor appears with name, chapters and the reason's human description;
/// never a reason code alone, never free text.
/// </summary>
public static class NotificationTemplates
{
    private sealed record Texts(
        Func<int, string> Subject, string Greeting, Func<int, string> Intro, string Fallback, string Outro, string Signature,
        IReadOnlyDictionary<string, string> Reasons);

    private static readonly Texts Nb = new(
        count => count == 1 ? "1 likeperson er satt på pause" : $"{count} likepersoner er satt på pause",
        "Hei,",
        count => count == 1
            ? "Denne likepersonen du er koordinator for, er satt på pause:"
            : $"Disse {count} likepersonene du er koordinator for, er satt på pause:",
        "(sendt til deg fordi ingen av likepersonens lokallag har en aktiv koordinator)",
        "Du finner dem i appen. Fornyes sertifiseringen, kan likepersonen aktiveres igjen.",
        "Hilsen MentorStatus",
        new Dictionary<string, string>
        {
            ["certification_expired"] = "Sertifiseringen er utløpt.",
            ["certification_renewed"] = "Sertifiseringen er fornyet.",
            ["self_pause"] = "Likepersonen satte seg selv på pause.",
            ["self_resume"] = "Likepersonen er tilbake etter egen pause.",
            ["coordinator_manual_pause"] = "En koordinator satte likepersonen på pause.",
            ["coordinator_resume"] = "En koordinator aktiverte likepersonen igjen.",
            ["coordinator_deactivate"] = "En koordinator gjorde likepersonen inaktiv.",
            ["coordinator_reactivate"] = "En koordinator gjorde likepersonen aktiv igjen.",
            ["initial_status"] = "Første status for likepersonen.",
        });

    private static readonly Texts En = new(
        count => count == 1 ? "1 peer mentor has been paused" : $"{count} peer mentors have been paused",
        "Hello,",
        count => count == 1
            ? "This peer mentor you coordinate has been paused:"
            : $"These {count} peer mentors you coordinate have been paused:",
        "(sent to you because none of the mentor's chapters has an active coordinator)",
        "You find them in the app. Once the certification is renewed, the mentor can be made active again.",
        "MentorStatus",
        new Dictionary<string, string>
        {
            ["certification_expired"] = "The certification has expired.",
            ["certification_renewed"] = "The certification was renewed.",
            ["self_pause"] = "The mentor paused themself.",
            ["self_resume"] = "The mentor resumed after pausing themself.",
            ["coordinator_manual_pause"] = "A coordinator paused the mentor.",
            ["coordinator_resume"] = "A coordinator resumed the mentor.",
            ["coordinator_deactivate"] = "A coordinator made the mentor inactive.",
            ["coordinator_reactivate"] = "A coordinator made the mentor active again.",
            ["initial_status"] = "The mentor's first status.",
        });

    /// <summary>The languages with a template; anything else falls back to nb.</summary>
    public static IReadOnlyList<string> Languages { get; } = ["nb", "en"];

    /// <summary>The human description of a reason code in this language (the database's own description when there is no translation).</summary>
    public static string Describe(string language, NotifiedMentor mentor) =>
        For(language).Reasons.TryGetValue(mentor.ReasonCode, out var text) ? text
        : mentor.ReasonDescription.Length > 0 ? mentor.ReasonDescription
        : mentor.ReasonCode.Replace('_', ' ');

    /// <summary>Subject, plain text and HTML for a message, in its language (nb when there is no template for it).</summary>
    /// <param name="message">The message.</param>
    /// <returns>The rendered message.</returns>
    public static RenderedMessage Render(NotificationMessage message)
    {
        var t = For(message.Language);
        var count = message.Mentors.Count;
        // Names come from the database: no control character reaches a subject or body (a CR/LF forges lines, an
        // escape sequence or bidirectional override shows a reader something else than what is there).
        var subject = PrintableText.Clean(t.Subject(count));

        var text = new StringBuilder()
            .AppendLine(t.Greeting).AppendLine()
            .AppendLine(t.Intro(count)).AppendLine();
        foreach (var m in message.Mentors)
        {
            text.Append("- ").Append(PrintableText.Clean(m.DisplayName));
            if (m.Chapters.Length > 0) text.Append(" (").Append(PrintableText.Clean(m.Chapters)).Append(')');
            text.Append(": ").AppendLine(Describe(message.Language, m));
            if (m.ViaOrganisationFallback) text.Append("  ").AppendLine(t.Fallback);
        }
        text.AppendLine().AppendLine(t.Outro).AppendLine().AppendLine(t.Signature);

        static string E(string s) => Html.Encode(s);
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"").Append(message.Language == "en" ? "en" : "nb").Append("\"><head><meta charset=\"utf-8\"></head><body>")
            .Append("<p>").Append(E(t.Greeting)).Append("</p>")
            .Append("<p>").Append(E(t.Intro(count))).Append("</p><ul>");
        foreach (var m in message.Mentors)
        {
            html.Append("<li><strong>").Append(E(PrintableText.Clean(m.DisplayName))).Append("</strong>");
            if (m.Chapters.Length > 0) html.Append(" (").Append(E(PrintableText.Clean(m.Chapters))).Append(')');
            html.Append(": ").Append(E(Describe(message.Language, m)));
            if (m.ViaOrganisationFallback) html.Append("<br><em>").Append(E(t.Fallback)).Append("</em>");
            html.Append("</li>");
        }
        html.Append("</ul><p>").Append(E(t.Outro)).Append("</p><p>").Append(E(t.Signature)).Append("</p></body></html>");
        return new RenderedMessage(subject, text.ToString(), html.ToString());
    }

    // Escapes markup but keeps letters such as æ, ø, å readable in the HTML source.
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    private static Texts For(string language) => language == "en" ? En : Nb;
}
