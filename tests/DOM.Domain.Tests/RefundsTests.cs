using Dom.Domain.Money;

namespace Dom.Domain.Tests;

public class RefundsTests
{
    [Theory]
    [InlineData("EUR", 2)]
    [InlineData("JPY", 0)]
    [InlineData("KWD", 3)]
    public void A_currency_rounds_to_its_minor_unit(string currency, int decimals) => Assert.Equal(decimals, Currency.Decimals(currency));

    [Fact]
    public void Halves_round_away_from_zero() => Assert.Equal((0.13m, 1m), (Currency.Round(0.125m, "EUR"), Currency.Round(0.5m, "JPY")));

    [Fact]
    public void Refunds_of_a_line_in_parts_add_up_to_its_rounded_total()
    {
        var parts = new[] { Refunds.ForUnits(33.3333m, 0, 1, "EUR"), Refunds.ForUnits(33.3333m, 1, 2, "EUR") };

        Assert.Equal([33.33m, 66.67m], parts);
        Assert.Equal(Currency.Round(33.3333m * 3, "EUR"), parts.Sum());
        Assert.Equal(0m, Refunds.ForUnits(19.99m, 2, 0, "EUR"));
    }
}
