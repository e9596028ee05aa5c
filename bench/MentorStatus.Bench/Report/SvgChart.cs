using System.Globalization;
using System.Net;
using System.Text;

namespace MentorStatus.Bench.Report;

/// <summary>
/// A small hand-written SVG: one row per latency distribution on a shared logarithmic millisecond axis —
/// a whisker from p1 to p99, a box from p25 to p75, a bar at p50, a dot at the maximum.
/// </summary>
public static class SvgChart
{
    private const int Width = 960, Left = 330, Right = 40, Top = 50, RowHeight = 34;

    public static string Render(string title, IReadOnlyList<LatencySummary> series)
    {
        var rows = series.Where(s => s.Count > 0).ToList();
        var height = Top + rows.Count * RowHeight + 60;
        var min = Math.Max(0.005, rows.Select(r => r.P1).DefaultIfEmpty(0.01).Min());
        var max = Math.Max(min * 10, rows.Select(r => r.Max).DefaultIfEmpty(1).Max());
        var lo = Math.Floor(Math.Log10(min));
        var hi = Math.Ceiling(Math.Log10(max));
        double X(double ms) => Left + (Math.Log10(Math.Max(ms, Math.Pow(10, lo))) - lo) / (hi - lo) * (Width - Left - Right);
        static string N(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<rect width="{Width}" height="{height}" fill="white"/>""").Append('\n');
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">{Esc(title)}</text>""").Append('\n');
        var axisY = Top + rows.Count * RowHeight + 5;
        for (var d = lo; d <= hi; d++)
        {
            var x = X(Math.Pow(10, d));
            var label = Math.Pow(10, d) >= 1 ? Math.Pow(10, d).ToString("0", CultureInfo.InvariantCulture) : Math.Pow(10, d).ToString("0.###", CultureInfo.InvariantCulture);
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{N(x)}" y1="{Top - 10}" x2="{N(x)}" y2="{axisY}" stroke="#ddd"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{N(x)}" y="{axisY + 16}" text-anchor="middle">{label} ms</text>""").Append('\n');
        }
        for (var i = 0; i < rows.Count; i++)
        {
            var s = rows[i];
            var y = Top + i * RowHeight + RowHeight / 2.0;
            var colour = i % 2 == 0 ? "#3b6ea8" : "#c0622f";
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left - 10}" y="{N(y + 4)}" text-anchor="end">{Esc(s.Name)} (n={s.Count:N0})</text>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{N(X(s.P1))}" y1="{N(y)}" x2="{N(X(s.P99))}" y2="{N(y)}" stroke="{colour}" stroke-width="1.5"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{N(X(s.P25))}" y="{N(y - 9)}" width="{N(Math.Max(1, X(s.P75) - X(s.P25)))}" height="18" fill="{colour}" fill-opacity="0.35" stroke="{colour}"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<line x1="{N(X(s.P50))}" y1="{N(y - 11)}" x2="{N(X(s.P50))}" y2="{N(y + 11)}" stroke="black" stroke-width="2"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<circle cx="{N(X(s.Max))}" cy="{N(y)}" r="3" fill="{colour}"/>""").Append('\n');
            svg.Append(CultureInfo.InvariantCulture, $"""<title>{Esc(s.Name)}: p50 {s.P50:F3} ms, p99 {s.P99:F3} ms, max {s.Max:F3} ms</title>""").Append('\n');
        }
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Left}" y="{height - 12}" fill="#555">whisker p1–p99, box p25–p75, bar p50, dot max; logarithmic axis</text>""").Append('\n');
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Esc(string s) => WebUtility.HtmlEncode(s);
}
