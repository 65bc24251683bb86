using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Dom.Domain.Money;
using Dom.Finance;
using Dom.Grains.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Dom.Silo.Api;

public sealed record LedgerExport(DateOnly From, DateOnly To, IReadOnlyList<LedgerEntry> Entries);

/// <summary>The ledger of financial records (invoices, refunds, payments received, chargebacks), exported for a
/// debtor-management system by an operator, as JSON or CSV.</summary>
public static class LedgerApi
{
    /// <summary>The most days one export covers: a year and a day (a year-end with its first day after).</summary>
    public const int MaxDays = 367;

    private static readonly string[] Columns = ["entryId", "at", "kind", "orderId", "channel", "customerId", "documentId", "method", "amount", "vat", "currency"];

    public static RouteGroupBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/ledger").WithTags("Ledger").RequireAuthorization(Policies.Operator);
        api.MapGet("/", Export).Produces<LedgerExport>(StatusCodes.Status200OK, "application/json", "text/csv");
        return api;
    }

    /// <summary>The entries made on the days from <paramref name="from"/> to <paramref name="to"/> (UTC days, both
    /// included), by time and id; <paramref name="format"/> <c>csv</c> for a file with a header row. Written as it is
    /// read, a day at a time, so a long range holds one day's entries in memory, not the range's; a day that cannot be
    /// read once the answer has begun breaks the connection off rather than end a file that lacks it.</summary>
    private static Results<PushStreamHttpResult, ValidationProblem> Export(
        IGrainFactory grains, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, HttpContext http, DateOnly? from, DateOnly? to, string? format)
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

        var days = Enumerable.Range(0, to!.Value.DayNumber - from!.Value.DayNumber + 1).Select(d => from.Value.AddDays(d)).ToList();
        async Task Written(Func<IReadOnlyList<LedgerEntry>, Task> write)
        {
            foreach (var day in days)
            {
                IReadOnlyList<LedgerEntry> entries;
                try
                {
                    entries = await DayAsync(grains, day);
                }
                catch
                {
                    // The status line is out: an answer that ended now would look whole.
                    http.Abort();
                    throw;
                }

                await write(entries);
            }
        }

        return format == "csv"
            ? TypedResults.Stream(stream => WriteCsvAsync(stream, Written, http.RequestAborted), "text/csv; charset=utf-8", $"ledger-{from:yyyy-MM-dd}-{to:yyyy-MM-dd}.csv")
            : TypedResults.Stream(stream => WriteJsonAsync(stream, from.Value, to.Value, json.Value.SerializerOptions, Written, http.RequestAborted), "application/json; charset=utf-8");
    }

    /// <summary>The entries of <paramref name="day"/>, from each of its ledger grains, by time and id.</summary>
    private static async Task<IReadOnlyList<LedgerEntry>> DayAsync(IGrainFactory grains, DateOnly day)
    {
        var parts = await Task.WhenAll(Enumerable.Range(0, LedgerKey.Buckets).Select(bucket => grains.Get<ILedgerGrain>(LedgerKey.Of(day, bucket)).EntriesAsync()));
        return parts.SelectMany(p => p).OrderBy(e => e.At).ThenBy(e => e.EntryId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Writes <c>{ from, to, entries: [...] }</c> (a <see cref="LedgerExport"/>), the entries day by day.</summary>
    private static async Task WriteJsonAsync(
        Stream stream, DateOnly from, DateOnly to, JsonSerializerOptions options, Func<Func<IReadOnlyList<LedgerEntry>, Task>, Task> days, CancellationToken cancellation)
    {
        // Through a pipe: the serializer flushes the writer as it goes, which must not write to the response synchronously.
        var pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        await using var writer = new Utf8JsonWriter(pipe);
        string Name(string property) => options.PropertyNamingPolicy?.ConvertName(property) ?? property;
        writer.WriteStartObject();
        writer.WritePropertyName(Name(nameof(LedgerExport.From)));
        JsonSerializer.Serialize(writer, from, options);
        writer.WritePropertyName(Name(nameof(LedgerExport.To)));
        JsonSerializer.Serialize(writer, to, options);
        writer.WriteStartArray(Name(nameof(LedgerExport.Entries)));
        await days(async entries =>
        {
            foreach (var entry in entries)
            {
                JsonSerializer.Serialize(writer, entry, options);
            }

            writer.Flush();
            await pipe.FlushAsync(cancellation);
        });
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        await pipe.CompleteAsync();
    }

    /// <summary>Writes the header row, then the entries day by day (RFC 4180 lines).</summary>
    private static async Task WriteCsvAsync(Stream stream, Func<Func<IReadOnlyList<LedgerEntry>, Task>, Task> days, CancellationToken cancellation)
    {
        await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
        await writer.WriteAsync(new StringBuilder().AppendJoin(',', Columns).Append("\r\n"), cancellation);
        await days(async entries =>
        {
            var csv = new StringBuilder();
            foreach (var e in entries)
            {
                csv.AppendJoin(',', new[]
                {
                    e.EntryId, e.At.ToString("O", CultureInfo.InvariantCulture), JsonNamingPolicy.CamelCase.ConvertName(e.Kind.ToString()), e.OrderId, e.Channel,
                    e.CustomerId, e.DocumentId, e.Method ?? "", Currency.Format(e.Amount, e.Currency), Currency.Format(e.Vat, e.Currency), e.Currency,
                }.Select(Field)).Append("\r\n");
            }

            await writer.WriteAsync(csv, cancellation);
            await writer.FlushAsync(cancellation);
        });
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
