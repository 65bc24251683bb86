using Dom.Domain.Risk;

namespace Dom.Domain.Tests;

public class RiskRulesTests
{
    private static readonly RiskPolicy Policy = new();
    private static readonly RiskFacts Ordinary = new(100m, 2, 1, false, "DE", "DE", [], false);

    [Fact]
    public void An_ordinary_order_is_accepted_without_reasons()
    {
        Assert.Equal((RiskVerdict.Accept, 0), Verdict(Ordinary));
    }

    [Theory]
    [InlineData("value")]
    [InlineData("first")]
    [InlineData("quantity")]
    [InlineData("velocity")]
    [InlineData("country")]
    public void Each_abnormality_alone_holds_the_order_for_review(string rule)
    {
        var facts = rule switch
        {
            "value" => Ordinary with { OrderValue = 2_500m },
            "first" => Ordinary with { FirstOrder = true, OrderValue = 600m },
            "quantity" => Ordinary with { LargestLineQuantity = 51 },
            "velocity" => Ordinary with { OrdersInWindow = 6 },
            _ => Ordinary with { BillingCountry = "FR" },
        };

        Assert.Equal((RiskVerdict.Review, 1), Verdict(facts));
    }

    [Theory]
    [InlineData("EUR", 2_500, "order value 2500 over 2000")]
    [InlineData("USD", 5_000, "order value 2500 EUR (5000 USD) over 2000")]
    [InlineData("JPY", 100, "no exchange rate for JPY: the order's value cannot be checked against the thresholds in EUR")]
    public void The_value_rules_compare_in_the_policys_currency_and_hold_a_currency_they_cannot(string currency, int value, string reason)
    {
        var policy = new RiskPolicy { ExchangeRates = new() { ["USD"] = 0.5m } };

        var (verdict, reasons) = RiskRules.Evaluate(Ordinary with { OrderValue = value, Currency = currency }, policy);

        Assert.Equal(RiskVerdict.Review, verdict);
        Assert.Equal([reason], reasons);
    }

    [Fact]
    public void An_order_in_another_currency_worth_less_than_the_threshold_there_is_accepted()
    {
        var policy = new RiskPolicy { ExchangeRates = new() { ["USD"] = 0.5m } };

        Assert.Equal(RiskVerdict.Accept, RiskRules.Evaluate(Ordinary with { OrderValue = 3_000m, Currency = "USD" }, policy).Verdict);
    }

    [Fact]
    public void The_black_list_rejects_even_a_white_listed_customer()
    {
        Assert.Equal((RiskVerdict.Reject, 1), Verdict(Ordinary with { BlackListed = ["email x@y.z"], WhiteListed = true }));
    }

    [Fact]
    public void The_white_list_skips_every_rule()
    {
        var facts = Ordinary with { OrderValue = 9_999m, FirstOrder = true, OrdersInWindow = 99, BillingCountry = "FR", WhiteListed = true };

        Assert.Equal(RiskVerdict.Accept, RiskRules.Evaluate(facts, Policy).Verdict);
    }

    [Fact]
    public void Thresholds_come_from_the_policy()
    {
        Assert.Equal(RiskVerdict.Accept, RiskRules.Evaluate(Ordinary with { OrderValue = 2_500m }, Policy with { ReviewOrderValue = 3_000m }).Verdict);
    }

    private static (RiskVerdict, int) Verdict(RiskFacts facts)
    {
        var (verdict, reasons) = RiskRules.Evaluate(facts, Policy);
        return (verdict, reasons.Count);
    }
}
