using Dom.Domain.Money;

namespace Dom.Domain.Pricing;

/// <summary>One component of a bundle as an order takes it: <paramref name="PerBundle"/> units of
/// <paramref name="Sku"/> in each bundle, weighing <paramref name="PriceShare"/> per unit in the bundle's price (null: every
/// unit of the bundle weighs the same).</summary>
public sealed record BundlePartSpec(string Sku, int PerBundle, decimal? PriceShare);

/// <summary>A bundle line's part: line <paramref name="LineId"/> of <paramref name="Quantity"/> units, worth
/// <paramref name="Price"/> of the bundle line's price before promotions (its share of their discounts:
/// <see cref="Bundles.Split"/>).</summary>
public sealed record ExplodedPart(string LineId, string Sku, int Quantity, int PerBundle, decimal Price);

/// <summary>
/// A bundle ordered is fulfilled, invoiced and returned as its components: each becomes a line of its own, with a share
/// of the bundle line's price and of each discount its promotions took, in whole minor units that add up to exactly the
/// bundle's (so an invoice or a refund of a part is what that part was worth, and the parts of a bundle cost what the
/// bundle cost). Shares follow the components' price shares (or their units, when none are given).
/// </summary>
public static class Bundles
{
    /// <summary>The id of part <paramref name="index"/> (from 0) of bundle line <paramref name="lineId"/>.</summary>
    public static string PartLineId(string lineId, int index) => $"{lineId}.{index + 1}";

    /// <summary>The parts of <paramref name="quantity"/> bundles at <paramref name="unitPrice"/> each, the line's price
    /// (rounded to the minor unit) shared by the components' price shares
    /// times their units (each unit alike when none are given). The discounts are shared later, once the order is priced
    /// (<see cref="Split"/>).</summary>
    public static IReadOnlyList<ExplodedPart> Explode(string lineId, int quantity, decimal unitPrice, IReadOnlyList<BundlePartSpec> parts, string currency)
    {
        var weights = parts.Select(p => (p.PriceShare ?? 1m) * p.PerBundle).ToList();
        // The line's price rounded to the minor unit, as a line of one article is invoiced (not rounded down: three at
        // 33.3333 are 100.00).
        var prices = Currency.Share(Currency.Round(unitPrice * quantity, currency), weights, currency);
        return parts.Select((p, i) => new ExplodedPart(PartLineId(lineId, i), p.Sku, p.PerBundle * quantity, p.PerBundle, prices[i])).ToList();
    }

    /// <summary>Each of <paramref name="discounts"/> shared over parts worth <paramref name="prices"/>, by what is left of
    /// each after the discounts before it (so no part goes below nothing): per part, its share of each discount.</summary>
    public static IReadOnlyList<IReadOnlyList<decimal>> Split(IReadOnlyList<decimal> prices, IReadOnlyList<decimal> discounts, string currency)
    {
        var left = prices.ToArray();
        var taken = prices.Select(_ => new List<decimal>()).ToArray();
        foreach (var discount in discounts)
        {
            var shares = Currency.Share(discount, left, currency);
            for (var i = 0; i < left.Length; i++)
            {
                taken[i].Add(shares[i]);
                left[i] -= shares[i];
            }
        }

        return taken;
    }
}
