namespace Dom.Domain.Money;

/// <summary>Refunds computed from what was paid per line, rounded once per line: the refunds of a line's units, in
/// however many returns they come back, add up to exactly what its units cost.</summary>
public static class Refunds
{
    /// <summary>The refund for <paramref name="units"/> more units at <paramref name="unitPrice"/>, after
    /// <paramref name="refundedBefore"/> units of the line were refunded: the line's rounded total up to these units less
    /// its rounded total before them.</summary>
    public static decimal ForUnits(decimal unitPrice, int refundedBefore, int units, string currency) =>
        Currency.Round(unitPrice * (refundedBefore + units), currency) - Currency.Round(unitPrice * refundedBefore, currency);
}
