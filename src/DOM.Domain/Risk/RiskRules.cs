using System.Globalization;

namespace Dom.Domain.Risk;

/// <summary>The thresholds of the risk rules (configuration: <c>Risk</c> section).</summary>
public sealed record RiskPolicy
{
    /// <summary>The currency the value thresholds are in.</summary>
    public string Currency { get; init; } = "EUR";

    /// <summary>What one unit of another currency is worth in <see cref="Currency"/> (e.g. <c>"USD": 0.92</c>). An
    /// order in a currency without a rate is held for review: its value cannot be held against the thresholds.</summary>
    public Dictionary<string, decimal> ExchangeRates { get; init; } = [];

    /// <summary>Orders worth more than this are held for review.</summary>
    public decimal ReviewOrderValue { get; init; } = 2_000m;

    /// <summary>A customer's first order worth more than this is held for review.</summary>
    public decimal FirstOrderReviewValue { get; init; } = 500m;

    /// <summary>A line with more units than this is held for review.</summary>
    public int MaxLineQuantity { get; init; } = 50;

    /// <summary>More orders than this in <see cref="VelocityWindow"/> from one customer are held for review.</summary>
    public int VelocityOrders { get; init; } = 5;

    public TimeSpan VelocityWindow { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Hold orders whose billing country differs from the shipping country.</summary>
    public bool ReviewCountryMismatch { get; init; } = true;
}

/// <summary>What the rules look at for one order.</summary>
/// <param name="OrderValue">The order's value after promotions.</param>
/// <param name="LargestLineQuantity">The most units on one line.</param>
/// <param name="OrdersInWindow">The customer's orders within the velocity window, this one included.</param>
/// <param name="FirstOrder">True when the customer has no earlier order that stands (none, or only orders cancelled,
/// rejected or still held for review).</param>
/// <param name="BillingCountry">The billing address's country, when given.</param>
/// <param name="ShippingCountry">The delivery country.</param>
/// <param name="BlackListed">The list entries (customer, e-mail, address, payment) the order matches on the black list.</param>
/// <param name="WhiteListed">True when the customer matches the white list.</param>
/// <param name="Currency">The currency of <paramref name="OrderValue"/>; none means the policy's.</param>
public sealed record RiskFacts(
    decimal OrderValue,
    int LargestLineQuantity,
    int OrdersInWindow,
    bool FirstOrder,
    string? BillingCountry,
    string ShippingCountry,
    IReadOnlyList<string> BlackListed,
    bool WhiteListed,
    string? Currency = null);

public enum RiskVerdict
{
    Accept,
    Review,
    Reject,
}

/// <summary>The risk check at intake: black list rejects, white list skips the rules, any rule that fires holds the
/// order for review. Every reason is reported.</summary>
public static class RiskRules
{
    /// <summary>Whether the policy reviews an order billed to <paramref name="billingCountry"/> (null: none given) and
    /// shipped to <paramref name="shippingCountry"/> for the mismatch of the two.</summary>
    public static bool CountryMismatch(RiskPolicy policy, string? billingCountry, string shippingCountry) =>
        policy.ReviewCountryMismatch && billingCountry is not null && billingCountry != shippingCountry;

    public static (RiskVerdict Verdict, IReadOnlyList<string> Reasons) Evaluate(RiskFacts facts, RiskPolicy policy)
    {
        if (facts.BlackListed.Count > 0)
        {
            return (RiskVerdict.Reject, facts.BlackListed.Select(hit => $"black list: {hit}").ToList());
        }

        if (facts.WhiteListed)
        {
            return (RiskVerdict.Accept, ["white list: rules skipped"]);
        }

        var reasons = new List<string>();
        var currency = facts.Currency ?? policy.Currency;
        decimal? rate = currency == policy.Currency ? 1m : policy.ExchangeRates.TryGetValue(currency, out var known) ? known : null;
        if (rate is not { } toPolicy)
        {
            reasons.Add($"no exchange rate for {currency}: the order's value cannot be checked against the thresholds in {policy.Currency}");
        }
        else
        {
            var value = facts.OrderValue * toPolicy;
            var shown = currency == policy.Currency
                ? value.ToString(CultureInfo.InvariantCulture)
                : $"{decimal.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture)} {policy.Currency} ({facts.OrderValue.ToString(CultureInfo.InvariantCulture)} {currency})";
            if (value > policy.ReviewOrderValue)
            {
                reasons.Add($"order value {shown} over {policy.ReviewOrderValue.ToString(CultureInfo.InvariantCulture)}");
            }

            if (facts.FirstOrder && value > policy.FirstOrderReviewValue)
            {
                reasons.Add($"first order with value {shown} over {policy.FirstOrderReviewValue.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        if (facts.LargestLineQuantity > policy.MaxLineQuantity)
        {
            reasons.Add($"line quantity {facts.LargestLineQuantity} over {policy.MaxLineQuantity}");
        }

        if (facts.OrdersInWindow > policy.VelocityOrders)
        {
            reasons.Add($"{facts.OrdersInWindow} orders within {policy.VelocityWindow.TotalMinutes:0} minutes, over {policy.VelocityOrders}");
        }

        if (facts.BillingCountry is { } billing && CountryMismatch(policy, billing, facts.ShippingCountry))
        {
            reasons.Add($"billing country {billing} differs from shipping country {facts.ShippingCountry}");
        }

        return reasons.Count == 0 ? (RiskVerdict.Accept, []) : (RiskVerdict.Review, reasons);
    }
}
