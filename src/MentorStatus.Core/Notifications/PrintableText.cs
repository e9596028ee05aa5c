using System.Text;
using System.Text.RegularExpressions;

namespace MentorStatus.Notifications;

/// <summary>
/// Text from the database made safe to show to people and terminals: names in emails, stored channel errors on a
/// console. A name or an error is data anyone with write access to it chose, so it may carry a terminal escape
/// sequence (recolour, retitle, hide the rest of the line), a line break that forges a new line of the message, or
/// a bidirectional override that shows text in another order than it is read.
/// </summary>
public static partial class PrintableText
{
    // ESC-introduced sequences (CSI ... final byte, OSC ... BEL or ST, two-character escapes) and C1 CSI/OSC.
    [GeneratedRegex(@"\x1B\[[0-?]*[ -/]*[@-~]|\x1B\][^\x07\x1B]*(?:\x07|\x1B\\)?|\x1B[@-_]|\u009B[0-?]*[ -/]*[@-~]|\u009D[^\x07\u009C]*[\x07\u009C]?")]
    private static partial Regex EscapeSequence();

    /// <summary>
    /// One line of plain text: whole escape sequences removed; tab, CR and LF become a space; every other control
    /// character (C0, DEL, C1) and the Unicode bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E,
    /// U+2066–U+2069) removed. Letters of any script are kept.
    /// </summary>
    /// <param name="text">The text to clean; null gives "".</param>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var withoutSequences = EscapeSequence().Replace(text, "");
        var sb = new StringBuilder(withoutSequences.Length);
        foreach (var c in withoutSequences)
        {
            if (c is '\t' or '\r' or '\n') sb.Append(' ');
            else if (char.IsControl(c) || IsBidiControl(c)) continue;
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool IsBidiControl(char c) =>
        c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
