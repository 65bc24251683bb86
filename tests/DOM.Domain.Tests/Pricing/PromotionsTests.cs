using Dom.Domain.Pricing;

namespace Dom.Domain.Tests.Pricing;

public class PromotionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_percentage_comes_off_the_matching_lines_only_rounded_once_per_line()
    {
        var lines = new[] { Line("l1", "a", 3, 9.99m), Line("l2", "b", 1, 20m) };

        var applied = Promotions.Apply(lines, [new PromotionRule("p", "10 % off a", DiscountKind.Percentage, Percent: 10m, Skus: ["a"])], "EUR");

        // 10 % of 29.97 is 2.997: 3.00, once for the line, not 1.00 per unit.
        Assert.Equal([("l1", 3.00m)], applied.Select(d => (d.LineId, d.Amount)));
    }

    [Fact]
    public void An_amount_comes_off_each_unit_and_never_takes_a_line_below_nothing()
    {
        var lines = new[] { Line("l1", "a", 2, 3m), Line("l2", "b", 3, 10m) };

        var applied = Promotions.Apply(lines, [new PromotionRule("p", "5 off", DiscountKind.Amount, Amount: 5m, Currency: "EUR")], "EUR");

        Assert.Equal([("l1", 6m), ("l2", 15m)], applied.Select(d => (d.LineId, d.Amount)));
    }

    [Fact]
    public void A_threshold_takes_its_amount_off_the_matching_lines_by_their_value_in_whole_cents_that_add_up_to_it()
    {
        var lines = new[] { Line("l1", "a", 1, 10m), Line("l2", "b", 1, 20m), Line("l3", "c", 1, 30m), Line("l4", "d", 1, 100m) };
        var rule = new PromotionRule("p", "10 off from 50", DiscountKind.Threshold, Amount: 10m, Threshold: 50m, Skus: ["a", "b", "c"], Currency: "EUR");

        var met = Promotions.Apply(lines, [rule], "EUR");
        var missed = Promotions.Apply(lines, [rule with { Threshold = 60.01m }], "EUR");
        var inPercent = Promotions.Apply(lines, [rule with { Amount = null, Percent = 5m }], "EUR");

        // 10.00 over 10, 20 and 30: 1.666…, 3.333…, 5.00; the cent over goes to the largest remainder.
        Assert.Equal([("l1", 1.67m), ("l2", 3.33m), ("l3", 5.00m)], met.Select(d => (d.LineId, d.Amount)));
        Assert.Empty(missed);
        Assert.Equal(3.00m, inPercent.Sum(d => d.Amount));
    }

    [Fact]
    public void Buy_x_get_y_takes_the_cheapest_unit_of_each_group_off_shared_by_the_group_s_units()
    {
        var lines = new[] { Line("l1", "a", 2, 30m), Line("l2", "b", 1, 10m), Line("l3", "c", 3, 20m), Line("l4", "x", 5, 1m) };
        var rule = new PromotionRule("p", "3 for 2", DiscountKind.BuyXGetY, Buy: 2, Get: 1, Skus: ["a", "b", "c"]);

        var free = Promotions.Apply(lines, [rule], "EUR");
        var half = Promotions.Apply(lines, [rule with { Percent = 50m }], "EUR");
        var tooFew = Promotions.Apply([Line("l1", "a", 2, 30m)], [rule], "EUR");
        var incomplete = Promotions.Apply([Line("l1", "a", 2, 30m), Line("l2", "b", 2, 10m)], [rule], "EUR");

        // Dearest first: 30 30 20 | 20 20 10: a 20 and the 10 go free, 30.00 shared by the six units' 130.00: 60, 10, 60.
        Assert.Equal([("l1", 13.85m), ("l2", 2.31m), ("l3", 13.84m)], free.Select(d => (d.LineId, d.Amount)));
        Assert.Equal(30m, free.Sum(d => d.Amount));
        Assert.Equal(15m, half.Sum(d => d.Amount));
        Assert.Empty(tooFew);
        // 30 30 10 | 10: the group's free 10.00 is shared by 30, 30 and 10; the fourth unit is in no group.
        Assert.Equal([("l1", 8.57m), ("l2", 1.43m)], incomplete.Select(d => (d.LineId, d.Amount)));
    }

    [Fact]
    public void Promotions_stack_by_priority_each_on_what_those_before_it_left()
    {
        var lines = new[] { Line("l1", "a", 1, 100m) };
        var percent = new PromotionRule("p1", "10 %", DiscountKind.Percentage, Percent: 10m, Priority: 1);
        var threshold = new PromotionRule("p2", "5 off from 50", DiscountKind.Threshold, Amount: 5m, Threshold: 50m, Currency: "EUR", Priority: 2);

        var percentFirst = Promotions.Apply(lines, [threshold, percent], "EUR");
        var thresholdFirst = Promotions.Apply(lines, [percent with { Priority = 3 }, threshold], "EUR");

        Assert.Equal([("p1", 10.00m), ("p2", 5.00m)], percentFirst.Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal([("p2", 5.00m), ("p1", 9.50m)], thresholdFirst.Select(d => (d.PromotionId, d.Amount)));
    }

    [Fact]
    public void An_exclusive_promotion_that_applies_is_the_only_one_and_one_that_does_not_leaves_the_others()
    {
        var lines = new[] { Line("l1", "a", 1, 100m) };
        var others = new PromotionRule("p1", "10 %", DiscountKind.Percentage, Percent: 10m);
        var exclusive = new PromotionRule("p2", "20 % alone", DiscountKind.Percentage, Percent: 20m, Exclusive: true, Priority: 5);

        Assert.Equal([("p2", 20m)], Promotions.Apply(lines, [others, exclusive], "EUR").Select(d => (d.PromotionId, d.Amount)));
        Assert.Equal([("p1", 10m)], Promotions.Apply(lines, [others, exclusive with { Skus = ["b"] }], "EUR").Select(d => (d.PromotionId, d.Amount)));
    }

    [Fact]
    public void A_discount_is_rounded_to_the_currency_s_minor_unit() =>
        Assert.Equal(150m, Promotions.Apply([Line("l1", "a", 1, 999m)], [new PromotionRule("p", "15 %", DiscountKind.Percentage, Percent: 15m)], "JPY").Single().Amount);

    [Fact]
    public void A_promotion_applies_in_its_window_to_its_channels_and_currency_and_with_its_code_only()
    {
        var rule = new PromotionRule("p", "x", DiscountKind.Amount, Amount: 1m, Currency: "EUR", Channels: ["Web"], Code: "SUMMER", ValidFrom: Now, ValidTo: Now.AddDays(1));

        Assert.True(rule.AppliesTo("web", "EUR", Now, ["summer"]));
        Assert.False(rule.AppliesTo("web", "EUR", Now.AddDays(1), ["SUMMER"]));
        Assert.False(rule.AppliesTo("web", "EUR", Now.AddTicks(-1), ["SUMMER"]));
        Assert.False(rule.AppliesTo("app", "EUR", Now, ["SUMMER"]));
        Assert.False(rule.AppliesTo("web", "CHF", Now, ["SUMMER"]));
        Assert.False(rule.AppliesTo("web", "EUR", Now, []));
        Assert.True(new PromotionRule("p", "x", DiscountKind.Percentage, Percent: 5m).AppliesTo("any", "JPY", Now, []));
    }

    [Theory]
    [InlineData(DiscountKind.Percentage, null, null, null, null, null, "EUR", "percent")]
    [InlineData(DiscountKind.Percentage, 120.0, null, null, null, null, null, "percent")]
    [InlineData(DiscountKind.Percentage, 10.0, 5.0, null, null, null, "EUR", "kind")]
    [InlineData(DiscountKind.Amount, null, 5.0, null, null, null, null, "currency")]
    [InlineData(DiscountKind.Amount, null, null, null, null, null, "EUR", "amount")]
    [InlineData(DiscountKind.Threshold, null, 5.0, null, null, null, "EUR", "threshold")]
    [InlineData(DiscountKind.Threshold, 5.0, 5.0, 50.0, null, null, "EUR", "amount")]
    [InlineData(DiscountKind.Threshold, 5.0, null, 50.0, null, null, null, "currency")]
    [InlineData(DiscountKind.BuyXGetY, null, null, null, 0, 1, null, "buy")]
    [InlineData(DiscountKind.BuyXGetY, null, null, null, 2, null, null, "get")]
    public void A_promotion_that_cannot_be_applied_as_written_names_the_field(DiscountKind kind, double? percent, double? amount, double? threshold, int? buy, int? get, string? currency, string field)
    {
        var rule = new PromotionRule("p", "x", kind, (decimal?)percent, (decimal?)amount, (decimal?)threshold, buy, get, Currency: currency);

        Assert.Equal(field, rule.Problem()?.Field);
    }

    [Fact]
    public void A_well_formed_promotion_has_no_problem()
    {
        Assert.Null(new PromotionRule("p", "x", DiscountKind.BuyXGetY, Buy: 2, Get: 1).Problem());
        Assert.Null(new PromotionRule("p", "x", DiscountKind.Threshold, Percent: 5m, Threshold: 50m, Currency: "EUR").Problem());
        Assert.Equal("validTo", new PromotionRule("p", "x", DiscountKind.Percentage, Percent: 5m, ValidFrom: Now, ValidTo: Now).Problem()?.Field);
    }

    private static PricedLine Line(string lineId, string sku, int quantity, decimal unitPrice) => new(lineId, sku, quantity, unitPrice);
}
