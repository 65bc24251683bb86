using Dom.Domain.Money;
using Dom.Domain.Pricing;

namespace Dom.Domain.Tests.Pricing;

public class BundlesTests
{
    [Fact]
    public void A_bundle_s_price_is_shared_by_its_components_price_shares_in_cents_that_add_up_exactly()
    {
        // Three kits at 99.99: a camera (share 80) and two cards (share 10 each): 80 : 20 of 299.97.
        var parts = Bundles.Explode("l1", 3, 99.99m, [new("camera", 1, 80m), new("card", 2, 10m)], "EUR");

        Assert.Equal([("l1.1", "camera", 3, 239.98m), ("l1.2", "card", 6, 59.99m)], parts.Select(p => (p.LineId, p.Sku, p.Quantity, p.Price)));
        Assert.Equal(299.97m, parts.Sum(p => p.Price));
    }

    [Fact]
    public void Without_price_shares_every_unit_of_the_bundle_weighs_the_same()
    {
        var parts = Bundles.Explode("kit", 1, 10m, [new("a", 1, null), new("b", 2, null)], "EUR");

        // 10.00 over three units: 3.33 and 6.67 (the cent left over to the larger remainder).
        Assert.Equal([3.33m, 6.67m], parts.Select(p => p.Price));
    }

    [Fact]
    public void Each_discount_is_shared_by_what_is_left_of_each_part_so_none_goes_below_nothing()
    {
        // The whole bundle free after a first discount: each part's discounts are exactly its price.
        var parts = Priced(Bundles.Explode("l1", 1, 10.01m, [new("a", 1, 1m), new("b", 1, 2m)], "EUR"), [3.34m, 6.67m], "EUR");

        Assert.Equal([3.34m, 6.67m], parts.Select(p => p.Price));
        Assert.All(parts, p => Assert.Equal(p.Price, p.Discounts.Sum()));
        Assert.Equal([3.34m, 6.67m], [parts.Sum(p => p.Discounts[0]), parts.Sum(p => p.Discounts[1])]);
    }

    [Fact]
    public void A_currency_without_minor_units_is_shared_in_whole_units()
    {
        var parts = Priced(Bundles.Explode("l1", 1, 1000m, [new("a", 1, null), new("b", 1, null), new("c", 1, null)], "JPY"), [100m], "JPY");

        Assert.Equal([334m, 333m, 333m], parts.Select(p => p.Price));
        Assert.Equal(100m, parts.Sum(p => p.Discounts.Single()));
    }

    [Theory]
    [InlineData(0.05, new[] { 1.0, 1.0, 1.0 }, new[] { 0.02, 0.02, 0.01 })]
    [InlineData(1.00, new[] { 0.0, 2.0 }, new[] { 0.00, 1.00 })]
    [InlineData(0.00, new[] { 1.0 }, new[] { 0.00 })]
    [InlineData(5.00, new[] { 0.0, 0.0 }, new[] { 0.00, 0.00 })]
    public void A_share_is_in_whole_minor_units_adding_up_to_the_amount(double amount, double[] weights, double[] expected)
    {
        var shares = Currency.Share((decimal)amount, weights.Select(w => (decimal)w).ToList(), "EUR");

        Assert.Equal(expected.Select(e => (decimal)e), shares);
    }

    /// <summary>Each part's price with its share of each of <paramref name="discounts"/>, as an order prices a bundle line.</summary>
    private static List<(decimal Price, IReadOnlyList<decimal> Discounts)> Priced(IReadOnlyList<ExplodedPart> parts, IReadOnlyList<decimal> discounts, string currency)
    {
        var prices = parts.Select(p => p.Price).ToList();
        return [.. prices.Zip(Bundles.Split(prices, discounts, currency))];
    }
}
