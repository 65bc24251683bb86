namespace Dom.Domain.Money;

/// <summary>What a line's units are worth when they are captured (a shipment) or refunded (a return), rounded once per
/// line: the amounts of a line's units, in however many shipments or returns they go, add up to exactly what its units
/// cost. What a unit cost is its price times the share of the order's value that was paid (<see cref="PaidShare"/>), so
/// an order-level discount is pro-rated over its lines; an amount falls to the tenders that paid in proportion to what
/// each paid (<see cref="ToTenders"/>).</summary>
public static class LineAmounts
{
    /// <summary>The amount of <paramref name="units"/> more units at <paramref name="unitPrice"/>, after
    /// <paramref name="before"/> units of the line were counted (captured or refunded): the line's rounded total up to
    /// these units less its rounded total before them.</summary>
    public static decimal ForUnits(decimal unitPrice, int before, int units, string currency) =>
        Currency.Round(unitPrice * (before + units), currency) - Currency.Round(unitPrice * before, currency);

    /// <summary>The share of the order's lines' value its tenders paid: 1 when the channel reports no payment (the prices
    /// are what was paid) or paid the value in full or more; less when a discount on the whole order (a coupon) was taken
    /// off the payment rather than the prices. The order's <paramref name="deliveryCharge"/> is paid first: a coupon
    /// comes off the goods, not the delivery (what is paid beyond the lines and the charge is not the lines').</summary>
    public static decimal PaidShare(decimal linesValue, IReadOnlyCollection<decimal> payments, decimal deliveryCharge = 0m) =>
        payments.Count == 0 || linesValue <= 0 ? 1m : Math.Clamp((payments.Sum() - deliveryCharge) / linesValue, 0m, 1m);

    /// <summary>How <paramref name="amount"/> falls to the tenders that paid <paramref name="paid"/>, of which
    /// <paramref name="refunded"/> was counted before (captured, or refunded): in proportion to what each paid, in the currency's minor units (the
    /// units left over by rounding to the largest remainders, the first tender first among equals), never more to a
    /// tender than it has left; what none has left stays unassigned (the sum is then less than the amount).</summary>
    public static IReadOnlyList<decimal> ToTenders(decimal amount, IReadOnlyList<decimal> paid, IReadOnlyList<decimal> refunded, string currency)
    {
        var unit = Currency.MinorUnit(currency);
        var left = paid.Select((p, i) => Math.Max(0m, p - refunded[i])).ToArray();
        var shares = new decimal[paid.Count];
        var total = paid.Sum();
        var units = (long)decimal.Floor(Math.Min(amount, left.Sum()) / unit);
        if (total <= 0 || units <= 0)
        {
            return shares;
        }

        // Whole minor units in proportion, capped by what each has left; then the units over, one by one, to the largest
        // remainders among those with room.
        var exact = paid.Select(p => units * p / total).ToArray();
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = Math.Min(decimal.Floor(exact[i]), left[i] / unit);
        }

        var over = units - (long)shares.Sum();
        foreach (var i in Enumerable.Range(0, shares.Length).OrderByDescending(i => exact[i] - decimal.Floor(exact[i])).ThenBy(i => i).ToList())
        {
            var room = (long)decimal.Floor(left[i] / unit - shares[i]);
            var take = Math.Min(over, Math.Min(room, 1));
            shares[i] += take;
            over -= take;
        }

        // Capped tenders leave units over: those with room take them in order.
        for (var i = 0; i < shares.Length && over > 0; i++)
        {
            var take = Math.Min(over, (long)decimal.Floor(left[i] / unit - shares[i]));
            shares[i] += take;
            over -= take;
        }

        return shares.Select(s => s * unit).ToArray();
    }
}
