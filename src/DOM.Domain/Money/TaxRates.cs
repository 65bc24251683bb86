namespace Dom.Domain.Money;

/// <summary>A VAT rate of one tax class in one country (ISO 3166 alpha-2), valid from <see cref="From"/> (null: always
/// before) until the day before <see cref="Until"/> (null: from then on). A temporary change (a lowered rate for half a
/// year) is a rate with both dates beside the standing one.</summary>
public sealed class TaxRate
{
    public string Country { get; set; } = "";

    public string Class { get; set; } = TaxRates.StandardClass;

    /// <summary>The rate as a fraction: 0.19 for 19 %.</summary>
    public decimal Rate { get; set; }

    public DateOnly? From { get; set; }

    public DateOnly? Until { get; set; }

    public bool ValidOn(DateOnly day) => (From is null || From <= day) && (Until is null || day < Until);
}

/// <summary>VAT rates per country and tax class with their validity dates (configuration: <c>Tax:Rates</c>).</summary>
public sealed class TaxRates
{
    /// <summary>The class of an article that names none.</summary>
    public const string StandardClass = "standard";

    public List<TaxRate> Rates { get; set; } = [];

    /// <summary>The tax class of an order's delivery charge (configuration: <c>Tax:DeliveryClass</c>): standard unless
    /// the country's law ties it to another.</summary>
    public string DeliveryClass { get; set; } = StandardClass;

    /// <summary>The rate of <paramref name="taxClass"/> in <paramref name="country"/> (either in any case) on
    /// <paramref name="day"/>: of the rates valid that day, the one that started last (a temporary rate over the standing
    /// one); null when none is configured.</summary>
    public decimal? RateFor(string country, string? taxClass, DateOnly day) =>
        Rates.Where(r => string.Equals(r.Country, country, StringComparison.OrdinalIgnoreCase)
                && string.Equals(r.Class, taxClass ?? StandardClass, StringComparison.OrdinalIgnoreCase)
                && r.ValidOn(day))
            .OrderByDescending(r => r.From ?? DateOnly.MinValue)
            .Select(r => (decimal?)r.Rate)
            .FirstOrDefault();

    /// <summary>The VAT in a gross <paramref name="amount"/> at <paramref name="rate"/>, rounded to the currency's minor
    /// unit: amount × rate / (1 + rate).</summary>
    public static decimal VatIn(decimal amount, decimal rate, string currency) => Currency.Round(amount * rate / (1 + rate), currency);

    /// <summary>Why the table cannot be used (a rate out of 0–100 %, a country that is no ISO code, an empty class, a window
    /// that ends before it starts, two rates of a country and class that start on the same day); null when it can.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(DeliveryClass) ? "Tax:DeliveryClass: the delivery charge's tax class is empty (leave it out for standard)."
        : Rates.FirstOrDefault(r => r.Rate is < 0 or > 1) is { } outOfRange ? $"Tax:Rates: {outOfRange.Country} {outOfRange.Class} has the rate {outOfRange.Rate}; rates are fractions from 0 to 1 (0.19 for 19 %)."
        : Rates.FirstOrDefault(r => r.Country.Length != 2 || !r.Country.All(char.IsAsciiLetter)) is { } country ? $"Tax:Rates: '{country.Country}' is not an ISO 3166 country code such as DE."
        : Rates.FirstOrDefault(r => string.IsNullOrWhiteSpace(r.Class)) is { } noClass ? $"Tax:Rates: a rate of {noClass.Country} has no class."
        : Rates.FirstOrDefault(r => r.From is { } from && r.Until is { } until && until <= from) is { } window ? $"Tax:Rates: {window.Country} {window.Class} ends ({window.Until}) before it starts ({window.From})."
        // Of two rates that start together, which applies would be a guess (their order in the file).
        : Rates.GroupBy(r => (r.Country.ToUpperInvariant(), r.Class.ToUpperInvariant(), r.From)).FirstOrDefault(g => g.Count() > 1) is { } twice
            ? $"Tax:Rates: {twice.First().Country} {twice.First().Class} has two rates that start on the same day ({twice.Key.From?.ToString() ?? "standing"})."
        : null;
}
