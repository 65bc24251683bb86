using Dom.Domain.Money;

namespace Dom.Domain.Pricing;

/// <summary>What a promotion takes off.</summary>
public enum DiscountKind
{
    /// <summary><see cref="PromotionRule.Percent"/> off each matching line.</summary>
    Percentage,

    /// <summary><see cref="PromotionRule.Amount"/> off each matching unit (never below nothing).</summary>
    Amount,

    /// <summary>When the matching lines come to at least <see cref="PromotionRule.Threshold"/>: <see cref="PromotionRule.Amount"/>
    /// (or <see cref="PromotionRule.Percent"/>) off them, spread over them by their value.</summary>
    Threshold,

    /// <summary>Of every <see cref="PromotionRule.Buy"/> + <see cref="PromotionRule.Get"/> matching units, the
    /// <see cref="PromotionRule.Get"/> cheapest at <see cref="PromotionRule.Percent"/> off (100: free), shared by the
    /// group's units.</summary>
    BuyXGetY,
}

/// <summary>A promotion as the calculation needs it. <paramref name="Skus"/>: the articles it applies to (null: every
/// one); <paramref name="Channels"/>: the channels (null: every one); <paramref name="Code"/>: the coupon code an order
/// must carry (null: applies by itself); <paramref name="Currency"/>: the currency of its amounts, and so of the orders it
/// applies to (null: any, for a percentage); valid from <paramref name="ValidFrom"/> until before
/// <paramref name="ValidTo"/>. Promotions apply by <paramref name="Priority"/> (lower first, then by id), each to what
/// those before it left; an <paramref name="Exclusive"/> one is never combined with another: the exclusive ones are
/// tried first (by priority), and the first that takes anything off is the only one, whatever the others' priority.</summary>
public sealed record PromotionRule(
    string PromotionId,
    string Name,
    DiscountKind Kind,
    decimal? Percent = null,
    decimal? Amount = null,
    decimal? Threshold = null,
    int? Buy = null,
    int? Get = null,
    IReadOnlyList<string>? Skus = null,
    IReadOnlyList<string>? Channels = null,
    string? Code = null,
    string? Currency = null,
    DateTimeOffset? ValidFrom = null,
    DateTimeOffset? ValidTo = null,
    int Priority = 0,
    bool Exclusive = false)
{
    /// <summary>Whether the rule applies to an order of <paramref name="channel"/> in <paramref name="currency"/> placed at
    /// <paramref name="at"/> with <paramref name="coupons"/> (codes in any case).</summary>
    public bool AppliesTo(string channel, string currency, DateTimeOffset at, IReadOnlyCollection<string> coupons) =>
        (ValidFrom is null || ValidFrom <= at) && (ValidTo is null || at < ValidTo)
        && (Channels is null || Channels.Contains(channel, StringComparer.OrdinalIgnoreCase))
        && (Currency is null || string.Equals(Currency, currency, StringComparison.OrdinalIgnoreCase))
        && (Code is null || coupons.Contains(Code, StringComparer.OrdinalIgnoreCase));

    /// <summary>Whether the rule applies to an article.</summary>
    public bool Matches(string sku) => Skus is null || Skus.Contains(sku, StringComparer.Ordinal);

    /// <summary>Why the rule cannot be applied as written, naming the field; null when it can.</summary>
    public (string Field, string Problem)? Problem() => Kind switch
    {
        _ when Percent is < 0 or > 100 => ("percent", "Must be from 0 to 100."),
        _ when Amount is < 0 => ("amount", "Must not be negative."),
        _ when ValidFrom is { } from && ValidTo is { } to && to <= from => ("validTo", "Must be after validFrom."),
        _ when Amount is not null && Currency is null => ("currency", "An amount needs the currency it is in."),
        DiscountKind.Percentage when Percent is null => ("percent", "A percentage promotion needs the percent it takes off."),
        DiscountKind.Percentage when Amount is not null || Threshold is not null || Buy is not null || Get is not null => ("kind", "A percentage promotion takes a percent only."),
        DiscountKind.Amount when Amount is null => ("amount", "An amount promotion needs the amount it takes off each unit."),
        DiscountKind.Amount when Percent is not null || Threshold is not null || Buy is not null || Get is not null => ("kind", "An amount promotion takes an amount only."),
        DiscountKind.Threshold when Threshold is not > 0 => ("threshold", "A threshold promotion needs a threshold above 0."),
        DiscountKind.Threshold when Currency is null => ("currency", "A threshold needs the currency it is in."),
        DiscountKind.Threshold when (Amount is null) == (Percent is null) => ("amount", "A threshold promotion takes either an amount or a percent off."),
        DiscountKind.Threshold when Buy is not null || Get is not null => ("kind", "A threshold promotion takes no buy or get."),
        DiscountKind.BuyXGetY when Buy is not (>= 1 and <= 1000) => ("buy", "Must be from 1 to 1000."),
        DiscountKind.BuyXGetY when Get is not (>= 1 and <= 1000) => ("get", "Must be from 1 to 1000."),
        DiscountKind.BuyXGetY when Amount is not null || Threshold is not null => ("kind", "A buy-x-get-y promotion takes a buy, a get and a percent only."),
        _ => null,
    };
}

/// <summary>An order line as its promotions see it: <paramref name="Quantity"/> units at <paramref name="UnitPrice"/>.</summary>
public sealed record PricedLine(string LineId, string Sku, int Quantity, decimal UnitPrice);

/// <summary>What promotion <paramref name="PromotionId"/> took off line <paramref name="LineId"/>, in the order's
/// currency (rounded to its minor unit).</summary>
public sealed record AppliedDiscount(string LineId, string PromotionId, string Name, decimal Amount);

/// <summary>Applies promotions to an order's lines at intake. Each promotion's discount on each line is rounded once to
/// the currency's minor unit; a discount spread over lines (a threshold's) is spread in whole minor units, so its parts
/// add up to exactly the discount. No line goes below nothing.</summary>
public static class Promotions
{
    /// <summary>The discounts of <paramref name="rules"/> (those that apply to the order, see
    /// <see cref="PromotionRule.AppliesTo"/>) on <paramref name="lines"/>: the exclusive ones first, by priority, and the
    /// first of them that takes anything off alone; else the others, by priority, each on what those before it left.</summary>
    public static IReadOnlyList<AppliedDiscount> Apply(IReadOnlyList<PricedLine> lines, IEnumerable<PromotionRule> rules, string currency)
    {
        var ordered = rules.OrderBy(r => r.Priority).ThenBy(r => r.PromotionId, StringComparer.Ordinal).ToList();
        // What is left of each line: all of it for the exclusive ones (Take only reads it), then less each discount taken.
        var left = lines.Select(l => l.UnitPrice * l.Quantity).ToArray();
        foreach (var exclusive in ordered.Where(r => r.Exclusive))
        {
            var alone = Take(lines, left, exclusive, currency);
            if (alone.Count > 0)
            {
                return alone.Select(d => d.Discount).ToList();
            }
        }

        var applied = new List<AppliedDiscount>();
        foreach (var rule in ordered.Where(r => !r.Exclusive))
        {
            foreach (var (line, discount) in Take(lines, left, rule, currency))
            {
                applied.Add(discount);
                left[line] -= discount.Amount;
            }
        }

        return applied;
    }

    /// <summary>What <paramref name="rule"/> takes off each line, given what is <paramref name="left"/> of each.</summary>
    private static List<(int Line, AppliedDiscount Discount)> Take(IReadOnlyList<PricedLine> lines, decimal[] left, PromotionRule rule, string currency)
    {
        var matching = Enumerable.Range(0, lines.Count).Where(i => rule.Matches(lines[i].Sku) && left[i] > 0 && lines[i].Quantity > 0).ToList();
        var off = new decimal[lines.Count];
        switch (rule.Kind)
        {
            case DiscountKind.Percentage:
                matching.ForEach(i => off[i] = Currency.Round(left[i] * rule.Percent!.Value / 100m, currency));
                break;
            case DiscountKind.Amount:
                matching.ForEach(i => off[i] = Currency.Round(rule.Amount!.Value * lines[i].Quantity, currency));
                break;
            case DiscountKind.Threshold:
                var value = matching.Sum(i => left[i]);
                if (matching.Count > 0 && value >= rule.Threshold!.Value)
                {
                    var total = rule.Amount ?? Currency.Round(value * rule.Percent!.Value / 100m, currency);
                    Spread(Math.Min(total, value), matching, left, off, currency);
                }

                break;
            case DiscountKind.BuyXGetY:
                // Every unit at what is left of its line's value per unit, dearest first: of each group of buy + get
                // units, the cheapest get go at the percent off, so the groups are the dearest units first. What they
                // take off is shared by every unit of the complete groups in proportion to its value (a unit returned
                // refunds what was paid for it, not its full price while the free one stays).
                var units = matching.SelectMany(i => Enumerable.Repeat((Line: i, Value: left[i] / lines[i].Quantity), lines[i].Quantity))
                    .OrderByDescending(u => u.Value).ThenBy(u => lines[u.Line].LineId, StringComparer.Ordinal).ToList();
                var groupSize = rule.Buy!.Value + rule.Get!.Value;
                var grouped = units.Take(units.Count / groupSize * groupSize).ToList();
                var reduced = grouped.Where((_, n) => n % groupSize >= rule.Buy.Value).Sum(u => u.Value);
                if (reduced > 0)
                {
                    var weights = new decimal[lines.Count];
                    grouped.ForEach(u => weights[u.Line] += u.Value);
                    Spread(Currency.Round(reduced * (rule.Percent ?? 100m) / 100m, currency), matching.Where(i => weights[i] > 0).ToList(), weights, off, currency);
                }

                break;
        }

        return matching.Where(i => off[i] > 0)
            .Select(i => (i, new AppliedDiscount(lines[i].LineId, rule.PromotionId, rule.Name, Math.Min(off[i], left[i]))))
            .ToList();
    }

    /// <summary>Spreads <paramref name="amount"/> over the lines <paramref name="over"/> in proportion to their
    /// <paramref name="weights"/> (what is left of them, or of their units a promotion counts), in whole minor units
    /// (<see cref="Currency.Share"/>).</summary>
    private static void Spread(decimal amount, List<int> over, decimal[] weights, decimal[] off, string currency)
    {
        var shares = Currency.Share(amount, over.Select(i => weights[i]).ToList(), currency);
        for (var k = 0; k < over.Count; k++)
        {
            off[over[k]] = shares[k];
        }
    }
}
