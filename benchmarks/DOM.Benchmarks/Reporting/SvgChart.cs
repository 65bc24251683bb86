using System.Globalization;
using System.Net;
using System.Text;

namespace Dom.Benchmarks.Reporting;

/// <summary>A hand-written SVG: throughput and p99 per scenario and system, grouped bars on log scales.</summary>
internal static class SvgChart
{
    private const int Width = 1000;
    private const int PanelHeight = 330;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 130;
    private const int Gap = 80;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly Dictionary<string, string> Colors = new(StringComparer.Ordinal)
    {
        ["lock"] = "#8c8c8c",
        ["cond"] = "#4d4d4d",
        ["engine-memory-inproc"] = "#2b8cbe",
        ["engine-memory-http"] = "#7bccc4",
        ["engine-pg-inproc"] = "#e6550d",
        ["engine-pg-http"] = "#fdae6b",
        ["ceiling"] = "#756bb1",
    };

    public static string Render(BenchmarkReport report)
    {
        var scenarios = report.Rows.Select(r => r.Scenario).Distinct().ToList();
        var systems = SystemInfo.All.Where(s => report.Rows.Any(r => r.System == s.Key)).ToList();
        var height = Top + (2 * PanelHeight) + Gap - 10;
        var svg = new StringBuilder();
        svg.AppendLine(Invariant, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="sans-serif" font-size="12">""");
        svg.AppendLine(Invariant, $"""<rect width="{Width}" height="{height}" fill="white"/>""");
        svg.AppendLine(Invariant, $"""<text x="{Left}" y="24" font-size="16" font-weight="bold">DOM.Orleans benchmark ({Escape(report.Mode)}, {report.StartedAt:yyyy-MM-dd}): {report.Machine.Processors} cores, {Escape(report.Machine.PostgreSql)}</text>""");
        for (var i = 0; i < systems.Count; i++)
        {
            var x = Left + (i % 3 * 300);
            var y = 48 + (i / 3 * 20);
            svg.AppendLine(Invariant, $"""<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{Colors[systems[i].Key]}"/><text x="{x + 17}" y="{y}">{Escape(systems[i].Label)}</text>""");
        }

        Panel(svg, report, scenarios, systems, Top, "reservations per second (log scale, higher is better)", r => r.ReservationsPerSecond, "N0");
        Panel(svg, report, scenarios, systems, Top + PanelHeight + Gap, "p99 latency in ms (log scale, lower is better)", r => r.P99Ms, "0.0");
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, BenchmarkReport report, List<string> scenarios, List<SystemInfo> systems, int top, string title, Func<RowResult, double> value, string format)
    {
        var values = report.Rows.Select(value).Where(v => v > 0).ToList();
        var low = values.Count == 0 ? 0 : Math.Floor(Math.Log10(values.Min()));
        var high = values.Count == 0 ? 1 : Math.Ceiling(Math.Log10(values.Max()));
        if (high <= low)
        {
            high = low + 1;
        }

        var plotHeight = PanelHeight - 50;
        var bottom = top + plotHeight;
        double Y(double v) => bottom - ((Math.Log10(Math.Max(v, Math.Pow(10, low))) - low) / (high - low) * plotHeight);

        svg.AppendLine(Invariant, $"""<text x="{Left}" y="{top - 12}" font-size="14" font-weight="bold">{Escape(title)}</text>""");
        for (var decade = low; decade <= high; decade++)
        {
            var y = Y(Math.Pow(10, decade));
            svg.AppendLine(Invariant, $"""<line x1="{Left}" y1="{y:0.#}" x2="{Width - Right}" y2="{y:0.#}" stroke="#ddd"/><text x="{Left - 6}" y="{y + 4:0.#}" text-anchor="end">{Compact(Math.Pow(10, decade))}</text>""");
        }

        var groupWidth = (double)(Width - Left - Right) / Math.Max(1, scenarios.Count);
        var barWidth = (groupWidth - 30) / Math.Max(1, systems.Count);
        for (var g = 0; g < scenarios.Count; g++)
        {
            var groupLeft = Left + (g * groupWidth) + 15;
            svg.AppendLine(Invariant, $"""<text x="{groupLeft + ((groupWidth - 30) / 2):0.#}" y="{bottom + 20}" text-anchor="middle" font-weight="bold">{Escape(scenarios[g])}</text>""");
            for (var s = 0; s < systems.Count; s++)
            {
                var row = report.Rows.FirstOrDefault(r => r.Scenario == scenarios[g] && r.System == systems[s].Key);
                if (row is null || value(row) <= 0)
                {
                    continue;
                }

                var x = groupLeft + (s * barWidth);
                var y = Y(value(row));
                svg.AppendLine(Invariant, $"""<rect x="{x:0.#}" y="{y:0.#}" width="{barWidth - 2:0.#}" height="{bottom - y:0.#}" fill="{Colors[systems[s].Key]}"><title>{Escape(row.Label)}, {Escape(row.Scenario)}: {value(row).ToString(format, Invariant)}</title></rect>""");
                svg.AppendLine(Invariant, $"""<text x="{x + ((barWidth - 2) / 2):0.#}" y="{y - 3:0.#}" text-anchor="middle" font-size="9">{Compact(value(row))}</text>""");
            }
        }

        svg.AppendLine(Invariant, $"""<line x1="{Left}" y1="{bottom}" x2="{Width - Right}" y2="{bottom}" stroke="#333"/>""");
    }

    private static string Compact(double v) => v switch
    {
        >= 1_000_000 => (v / 1_000_000).ToString("0.#", Invariant) + "M",
        >= 1_000 => (v / 1_000).ToString("0.#", Invariant) + "k",
        >= 10 => v.ToString("0", Invariant),
        >= 1 => v.ToString("0.#", Invariant),
        _ => v.ToString("0.##", Invariant),
    };

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
