using System.Globalization;
using System.Text;
using Dom.Domain.Money;
using Dom.Finance;
using Dom.Grains.Hosting;

namespace Dom.Silo.Api;

public sealed record LedgerExport(DateOnly From, DateOnly To, IReadOnlyList<LedgerEntry> Entries);

/// <summary>The ledger of financial records (invoices, refunds, payments received, chargebacks), exported for a
/// debtor-management system by an operator, as JSON or CSV.</summary>
public static class LedgerApi
{
    /// <summary>The most days one export covers.</summary>
    public const int MaxDays = 93;

    private static readonly string[] Columns = ["entryId", "at", "kind", "orderId", "channel", "customerId", "documentId", "method", "amount", "vat", "currency"];

    public static RouteGroupBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/ledger").WithTags("Ledger").RequireAuthorization(Policies.Operator);
        api.MapGet("/", ExportAsync);
        return api;
    }

    /// <summary>The entries made on the days from <paramref name="from"/> to <paramref name="to"/> (UTC days, both
    /// included), by time and id; <paramref name="format"/> <c>csv</c> for a file with a header row.</summary>
    private static async Task<Results<Ok<LedgerExport>, FileContentHttpResult, ValidationProblem>> ExportAsync(IGrainFactory grains, DateOnly? from, DateOnly? to, string? format)
    {
        var validation = new Validation().Required("from", from).Required("to", to);
        if (from is { } start && to is { } end && (end < start || end.DayNumber - start.DayNumber >= MaxDays))
        {
            validation.Add("to", $"Must be on or after from, at most {MaxDays} days in all.");
        }

        if (format is not (null or "json" or "csv"))
        {
            validation.Add("format", "Must be 'json' or 'csv'.");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var days = Enumerable.Range(0, to!.Value.DayNumber - from!.Value.DayNumber + 1).Select(d => from.Value.AddDays(d));
        var parts = await Task.WhenAll(days.SelectMany(day => Enumerable.Range(0, LedgerKey.Buckets).Select(bucket => grains.Get<ILedgerGrain>(LedgerKey.Of(day, bucket)).EntriesAsync())));
        var entries = parts.SelectMany(p => p).OrderBy(e => e.At).ThenBy(e => e.EntryId, StringComparer.Ordinal).ToList();
        if (format != "csv")
        {
            return TypedResults.Ok(new LedgerExport(from.Value, to.Value, entries));
        }

        var csv = new StringBuilder().AppendJoin(',', Columns).Append("\r\n");
        foreach (var e in entries)
        {
            csv.AppendJoin(',', new[]
            {
                e.EntryId, e.At.ToString("O", CultureInfo.InvariantCulture), System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(e.Kind.ToString()), e.OrderId, e.Channel,
                e.CustomerId, e.DocumentId, e.Method ?? "", Currency.Format(e.Amount, e.Currency), Currency.Format(e.Vat, e.Currency), e.Currency,
            }.Select(Field)).Append("\r\n");
        }

        return TypedResults.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", $"ledger-{from:yyyy-MM-dd}-{to:yyyy-MM-dd}.csv");
    }

    /// <summary>A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, its quotes doubled; one that
    /// starts like a formula (=, +, -, @) is prefixed with a quote mark so a spreadsheet shows it as text.</summary>
    private static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !decimal.TryParse(value, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
