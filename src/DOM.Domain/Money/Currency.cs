namespace Dom.Domain.Money;

/// <summary>ISO 4217 minor units and rounding.</summary>
public static class Currency
{
    /// <summary>Currencies without minor units (the yen, the won, …).</summary>
    private static readonly HashSet<string> NoDecimals =
        new(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"], StringComparer.Ordinal);

    /// <summary>Currencies with three decimals (the dinars of Bahrain, Iraq, Jordan, Kuwait, Libya, Tunisia; the Omani rial).</summary>
    private static readonly HashSet<string> ThreeDecimals = new(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], StringComparer.Ordinal);

    /// <summary>The currency's decimal places: 2 unless ISO 4217 says 0 or 3.</summary>
    public static int Decimals(string currency) => NoDecimals.Contains(currency) ? 0 : ThreeDecimals.Contains(currency) ? 3 : 2;

    /// <summary>The smallest amount of the currency: 0.01 for the euro, 1 for the yen.</summary>
    public static decimal MinorUnit(string currency) => Decimals(currency) switch { 0 => 1m, 3 => 0.001m, _ => 0.01m };

    /// <summary><paramref name="amount"/> rounded to the currency's minor unit, halves away from zero (commercial
    /// rounding).</summary>
    public static decimal Round(decimal amount, string currency) => decimal.Round(amount, Decimals(currency), MidpointRounding.AwayFromZero);

    /// <summary><paramref name="amount"/> written in the currency's decimals with a decimal point (100.00, -19.00, 500 for
    /// the yen), whatever the culture.</summary>
    public static string Format(decimal amount, string currency) =>
        amount.ToString($"F{Decimals(currency)}", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary><paramref name="amount"/> shared in proportion to <paramref name="weights"/>, in whole minor units that add
    /// up to it exactly (rounded down to the minor unit first): each share rounded down, then the units left over one by
    /// one to the largest remainders, the first among equals first. A share never exceeds its exact part rounded up, so
    /// shares of an amount no larger than the weights' sum, by those weights in minor units, never exceed their weight.
    /// All zero when the weights are.</summary>
    public static decimal[] Share(decimal amount, IReadOnlyList<decimal> weights, string currency)
    {
        var unit = MinorUnit(currency);
        var units = (long)decimal.Floor(amount / unit);
        var total = weights.Sum();
        var shares = new decimal[weights.Count];
        if (total <= 0 || units <= 0)
        {
            return shares;
        }

        var exact = weights.Select(w => units * w / total).ToArray();
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = decimal.Floor(exact[i]);
        }

        var rest = units - (long)shares.Sum();
        foreach (var i in Enumerable.Range(0, shares.Length).OrderByDescending(i => exact[i] - decimal.Floor(exact[i])).Take((int)rest).ToList())
        {
            shares[i] += 1;
        }

        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] *= unit;
        }

        return shares;
    }
}
