using Dom.Grains.Hosting;
using Dom.Grains.Orders;
using Dom.Grains.Risk;
using Dom.Risk;

namespace Dom.Silo.Api;

public sealed record RiskEntryBody(string? Value);

public static class RiskApi
{
    public static RouteGroupBuilder MapRiskApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/risk/lists").WithTags("Risk").RequireAuthorization(Policies.Operator);
        api.MapGet("/", GetAsync);
        api.MapPut("/{list}/{subject}", AddAsync);
        api.MapDelete("/{list}/{subject}", RemoveAsync);
        return api;
    }

    private static async Task<Ok<IReadOnlyList<RiskListEntry>>> GetAsync(IGrainFactory grains) =>
        TypedResults.Ok(await Lists(grains).GetAsync());

    private static async Task<Results<NoContent, ValidationProblem>> AddAsync(string list, string subject, RiskEntryBody body, IGrainFactory grains)
    {
        var (validation, entry) = Parse(list, subject, body.Value);
        if (entry is { List: RiskList.White, Subject: not RiskSubject.Customer })
        {
            // An e-mail, address or card is whatever the buyer types: trusting one would let anyone skip the rules.
            (validation, entry) = (validation.Add("subject", "Only customers are white-listed; an e-mail, address or payment instrument is whatever the buyer types."), null);
        }

        if (entry is not null && !Matchable(validation, entry, body.Value!))
        {
            entry = null;
        }

        if (entry is null)
        {
            return validation.Problem();
        }

        await Lists(grains).AddAsync(entry);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ValidationProblem>> RemoveAsync(string list, string subject, string? value, IGrainFactory grains)
    {
        var (validation, entry) = Parse(list, subject, value);
        if (entry is null)
        {
            return validation.Problem();
        }

        await Lists(grains).RemoveAsync(entry);
        return TypedResults.NoContent();
    }

    private static (Validation, RiskListEntry?) Parse(string list, string subject, string? value)
    {
        var validation = new Validation().Text("value", value, 300);
        if (!Validation.TryParseName<RiskList>(list, out var parsedList))
        {
            validation.Add("list", "Must be 'black' or 'white'.");
        }

        if (!Validation.TryParseName<RiskSubject>(subject, out var parsedSubject))
        {
            validation.Add("subject", "Must be 'customer', 'email', 'address' or 'payment'.");
        }

        return validation.IsValid ? (validation, new RiskListEntry(parsedList, parsedSubject, RiskKeys.Normalize(parsedSubject, value!))) : (validation, null);
    }

    /// <summary>Whether an order could ever give <paramref name="entry"/>: a customer id passes the id rule, an e-mail
    /// the e-mail rule, as in an order, an address is in the listed form, and nothing is empty once normalized (an
    /// empty entry would match every order whose value normalizes to nothing). Removing is not checked, so entries an
    /// earlier build took can go.</summary>
    private static bool Matchable(Validation validation, RiskListEntry entry, string value)
    {
        if (entry.Subject == RiskSubject.Customer)
        {
            validation.Id("value", entry.Value);
        }
        else if (entry.Subject == RiskSubject.Email)
        {
            validation.Email("value", value);
        }
        else if (entry.Subject == RiskSubject.Address && !InListedForm(entry.Value))
        {
            validation.Add("value", "An address is listed as 'street, postal code, city, country': four parts between commas, the street and the country (an ISO 3166-1 alpha-2 code such as DE) given, and the postal code, the city or both, as in 'Hauptstr. 1, 10117, Berlin, DE' or 'Hauptstr. 1, , Berlin, DE'.");
        }

        if (validation.IsValid && entry.Value.Length == 0)
        {
            validation.Add("value", "Nothing is left once spaces, invisible characters (and for a payment instrument, dashes) are taken out: it could never name an order's value.");
        }

        return validation.IsValid;
    }

    /// <summary>Whether a normalized address is in the form addresses are matched by (see <see cref="RiskKeys.Keys"/>).</summary>
    private static bool InListedForm(string address) =>
        RiskKeys.PartsOf(address) is { Street.Length: > 0 } parts && (parts.PostalCode.Length > 0 || parts.City.Length > 0)
        && parts.Country is { Length: 2 } country && country.All(char.IsAsciiLetterLower);

    private static IRiskListGrain Lists(IGrainFactory grains) => grains.Get<IRiskListGrain>(RiskListGrain.Key);
}
