using Dom.Grains.Risk;
using Dom.Orders;
using Dom.Risk;

namespace Dom.Grains.Tests;

[Collection(ClusterCollection.Name)]
public class RiskListTests(ClusterFixture fixture)
{
    private readonly World _world = new(fixture.Grains);

    [Theory]
    [InlineData(RiskSubject.Address, "Main St 1, 12345, Berlin, DE", "main st 1 ,12345,berlin,de")]
    [InlineData(RiskSubject.Address, "Main St 1, 12345, Berlin, DE", "Main\u00A0St  1, 12345, Berlin, DE")]
    [InlineData(RiskSubject.Address, "Main St 1, 12345, Berlin, DE", "Main St 1\u200B, 12345, BERLIN, DE")]
    [InlineData(RiskSubject.Payment, "4111111111111111", "4111 1111-1111\u00A01111")]
    [InlineData(RiskSubject.Payment, "4111111111111111", "\uFF14111111111111111")]
    [InlineData(RiskSubject.Email, "bad@example.com", " Bad@Exam\u200Dple.com ")]
    [InlineData(RiskSubject.Customer, "c-1", " c-1 ")]
    public void Values_a_checkout_form_lets_through_compare_as_the_listed_value(RiskSubject subject, string listed, string given) =>
        Assert.Equal(RiskKeys.Normalize(subject, listed), RiskKeys.Normalize(subject, given));

    [Theory]
    [InlineData(RiskSubject.Address, "Main St 1, 12345, Berlin, DE", "Main St 11, 12345, Berlin, DE")]
    [InlineData(RiskSubject.Payment, "4111111111111111", "4111111111111112")]
    [InlineData(RiskSubject.Customer, "c-1", "C-1")]
    public void Different_values_stay_different(RiskSubject subject, string listed, string given) =>
        Assert.NotEqual(RiskKeys.Normalize(subject, listed), RiskKeys.Normalize(subject, given));

    [Fact]
    public async Task An_address_and_a_card_written_another_way_than_listed_are_still_black_listed()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 5);
        var street = $"Main St {_world.Id("n")}";
        var card = $"4111 {Random.Shared.Next(1000, 9999)} {Random.Shared.Next(1000, 9999)} 1111";
        await Lists.AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Address, $"{street}, 12345, Berlin, DE"));
        await Lists.AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Payment, card));
        var (byAddress, byCard) = (_world.Id("o1"), _world.Id("o2"));

        var address = await Order(byAddress).CreateAsync(Request(byAddress, sku) with
        {
            Delivery = new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, street.Replace(' ', '\u00A0') + " ", "12345", "Berlin"), null),
        });
        var paid = await Order(byCard).CreateAsync(Request(byCard, sku) with { Payments = [new Payment("card", card.Replace(" ", "", StringComparison.Ordinal), 10m)] });

        Assert.Equal(RiskDecision.Reject, address.Order!.Risk.Decision);
        Assert.Equal(RiskDecision.Reject, paid.Order!.Risk.Decision);
    }

    [Fact]
    public async Task An_address_an_earlier_build_listed_in_another_form_still_matches_the_order_it_matched()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 5);
        var street = $"Main St {_world.Id("n")}";
        // As earlier builds stored it: the parts given, without the postal code.
        await Lists.AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Address, $"{street}, Berlin, DE"));
        var (same, other) = (_world.Id("o1"), _world.Id("o2"));

        var matched = await Order(same).CreateAsync(Request(same, sku) with { Delivery = new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, street, null, "Berlin"), null) });
        var notMatched = await Order(other).CreateAsync(Request(other, sku) with { Delivery = new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, street, "12345", "Berlin"), null) });

        Assert.Equal(RiskDecision.Reject, matched.Order!.Risk.Decision);
        Assert.Equal(RiskDecision.Accept, notMatched.Order!.Risk.Decision);
    }

    [Fact]
    public async Task Leaving_out_an_e_mail_the_customer_ordered_with_before_does_not_get_past_its_black_list_entry()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 5);
        var (customer, email) = (_world.Id("c"), $"{_world.Id("m")}@example.com");
        var (first, second) = (_world.Id("o1"), _world.Id("o2"));
        var accepted = await Order(first).CreateAsync(Request(first, sku) with { CustomerId = customer, Customer = new CustomerData(email, "M") });
        await Lists.AddAsync(new RiskListEntry(RiskList.Black, RiskSubject.Email, email));

        var without = await Order(second).CreateAsync(Request(second, sku) with { CustomerId = customer });

        Assert.Equal(RiskDecision.Accept, accepted.Order!.Risk.Decision);
        Assert.Equal(RiskDecision.Reject, without.Order!.Risk.Decision);
    }

    [Fact]
    public async Task Only_a_white_listed_customer_skips_the_rules_not_a_white_listed_e_mail()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 10);
        var email = $"{_world.Id("vip")}@example.com";
        // As earlier builds took it (the API refuses it now): anyone can type an e-mail into a checkout.
        await Lists.AddAsync(new RiskListEntry(RiskList.White, RiskSubject.Email, email));
        var (known, trusted) = (_world.Id("known"), _world.Id("trusted"));
        await Lists.AddAsync(new RiskListEntry(RiskList.White, RiskSubject.Customer, trusted));
        var (first, again, big) = (_world.Id("o1"), _world.Id("o2"), _world.Id("o3"));
        await Order(first).CreateAsync(Request(first, sku) with { CustomerId = known, Customer = new CustomerData(email, "K") });

        var byEmail = await Order(again).CreateAsync(Request(again, sku, 3_000m) with { CustomerId = known, Customer = new CustomerData(email, "K") });
        var byCustomer = await Order(big).CreateAsync(Request(big, sku, 3_000m) with { CustomerId = trusted });

        Assert.Equal(RiskDecision.Review, byEmail.Order!.Risk.Decision);
        Assert.Equal(RiskDecision.Accept, byCustomer.Order!.Risk.Decision);
    }

    [Fact]
    public async Task Only_an_earlier_order_that_stood_makes_a_large_order_no_first_order()
    {
        var (sku, location) = (await _world.ArticleAsync("a"), await _world.LocationAsync("l", 52, 13));
        await _world.StockAsync(sku, location, 10);
        var (cancels, keeps) = (_world.Id("cancels"), _world.Id("keeps"));
        var (small, large, kept, later) = (_world.Id("o1"), _world.Id("o2"), _world.Id("o3"), _world.Id("o4"));
        await Order(small).CreateAsync(Request(small, sku) with { CustomerId = cancels });
        await Order(small).CancelAsync(null);
        await Order(kept).CreateAsync(Request(kept, sku) with { CustomerId = keeps });

        var afterCancelled = await Order(large).CreateAsync(Request(large, sku, 600m) with { CustomerId = cancels });
        var afterKept = await Order(later).CreateAsync(Request(later, sku, 600m) with { CustomerId = keeps });

        Assert.Equal(RiskDecision.Review, afterCancelled.Order!.Risk.Decision);
        Assert.Contains(afterCancelled.Order.Risk.Reasons, r => r.StartsWith("first order", StringComparison.Ordinal));
        Assert.Equal(RiskDecision.Accept, afterKept.Order!.Risk.Decision);
    }

    private IRiskListGrain Lists => fixture.Grains.GetGrain<IRiskListGrain>(RiskListGrain.Key);

    private IOrderGrain Order(string id) => fixture.Grains.GetGrain<IOrderGrain>(id);

    private static CreateOrderRequest Request(string id, string sku, decimal unitPrice = 10m) => new(
        id,
        "web",
        "c-" + id,
        null,
        [new OrderLineRequest("l1", sku, 1, unitPrice)],
        new Delivery(DeliveryMethod.Ship, new Address("DE", 52.5, 13.4, null, null, null), null),
        null,
        null,
        [],
        "EUR",
        false,
        null,
        null);
}
