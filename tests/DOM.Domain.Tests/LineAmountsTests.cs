using Dom.Domain.Money;

namespace Dom.Domain.Tests;

public class LineAmountsTests
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
        var parts = new[] { LineAmounts.ForUnits(33.3333m, 0, 1, "EUR"), LineAmounts.ForUnits(33.3333m, 1, 2, "EUR") };

        Assert.Equal([33.33m, 66.67m], parts);
        Assert.Equal(Currency.Round(33.3333m * 3, "EUR"), parts.Sum());
        Assert.Equal(0m, LineAmounts.ForUnits(19.99m, 2, 0, "EUR"));
    }

    [Theory]
    [InlineData(new double[0], 1.0)]
    [InlineData(new[] { 80.0 }, 0.8)]
    [InlineData(new[] { 60.0, 20.0 }, 0.8)]
    [InlineData(new[] { 104.95 }, 1.0)]
    public void The_paid_share_pro_rates_a_discount_on_the_payment_and_never_refunds_a_delivery_charge(double[] payments, double share) =>
        Assert.Equal((decimal)share, LineAmounts.PaidShare(100m, payments.Select(p => (decimal)p).ToList()));

    [Theory]
    [InlineData(new[] { 104.95 }, 4.95, 1.0)]
    [InlineData(new[] { 84.95 }, 4.95, 0.8)]
    [InlineData(new[] { 60.0, 24.95 }, 4.95, 0.8)]
    [InlineData(new[] { 3.0 }, 4.95, 0.0)]
    public void A_delivery_charge_is_paid_before_the_lines_so_a_coupon_on_the_payment_comes_off_the_goods(double[] payments, double charge, double share) =>
        Assert.Equal((decimal)share, LineAmounts.PaidShare(100m, payments.Select(p => (decimal)p).ToList(), (decimal)charge));

    [Fact]
    public void A_refund_goes_back_to_the_tenders_in_proportion_to_what_they_paid_in_whole_minor_units()
    {
        Assert.Equal([8m, 2m], LineAmounts.ToTenders(10m, [20m, 5m], [0m, 0m], "EUR"));
        Assert.Equal([3.34m, 3.33m, 3.33m], LineAmounts.ToTenders(10m, [10m, 10m, 10m], [0m, 0m, 0m], "EUR"));
        Assert.Equal([667m, 333m], LineAmounts.ToTenders(1000m, [2000m, 1000m], [0m, 0m], "JPY"));
    }

    [Fact]
    public void A_tender_refunded_in_full_before_takes_nothing_more_and_what_no_tender_has_left_stays_unassigned()
    {
        Assert.Equal([0m, 5m], LineAmounts.ToTenders(5m, [20m, 5m], [20m, 0m], "EUR"));
        Assert.Equal([0m, 5m], LineAmounts.ToTenders(8m, [20m, 5m], [20m, 0m], "EUR"));
        Assert.Empty(LineAmounts.ToTenders(3m, [], [], "EUR"));
    }

    [Fact]
    public void A_temporary_rate_applies_within_its_dates_and_the_standing_one_around_them()
    {
        var table = new TaxRates
        {
            Rates =
            [
                new() { Country = "DE", Rate = 0.19m },
                new() { Country = "DE", Rate = 0.16m, From = new DateOnly(2020, 7, 1), Until = new DateOnly(2021, 1, 1) },
                new() { Country = "DE", Class = "reduced", Rate = 0.07m },
            ],
        };

        Assert.Equal(0.19m, table.RateFor("DE", null, new DateOnly(2020, 6, 30)));
        Assert.Equal(0.16m, table.RateFor("de", "standard", new DateOnly(2020, 7, 1)));
        Assert.Equal(0.16m, table.RateFor("DE", null, new DateOnly(2020, 12, 31)));
        Assert.Equal(0.19m, table.RateFor("DE", null, new DateOnly(2021, 1, 1)));
        Assert.Equal(0.07m, table.RateFor("DE", "reduced", new DateOnly(2020, 8, 1)));
        Assert.Null(table.RateFor("FR", null, new DateOnly(2020, 8, 1)));
        Assert.Null(table.Problem());
    }

    [Fact]
    public void The_VAT_in_a_gross_amount_is_rounded_once_and_a_bad_table_is_named()
    {
        Assert.Equal((19.00m, 1.60m, 7m), (TaxRates.VatIn(119m, 0.19m, "EUR"), TaxRates.VatIn(9.99m, 0.19m, "EUR"), TaxRates.VatIn(77m, 0.10m, "JPY")));
        Assert.Contains("rates are fractions", new TaxRates { Rates = [new() { Country = "DE", Rate = 19m }] }.Problem(), StringComparison.Ordinal);
        Assert.Contains("ends", new TaxRates { Rates = [new() { Country = "DE", Rate = 0.19m, From = new DateOnly(2021, 1, 1), Until = new DateOnly(2020, 1, 1) }] }.Problem(), StringComparison.Ordinal);
        Assert.Contains("Tax:DeliveryClass", new TaxRates { DeliveryClass = " " }.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_rates_of_a_country_and_class_that_start_together_are_named_as_a_bad_table()
    {
        var twice = new TaxRates { Rates = [new() { Country = "DE", Rate = 0.19m }, new() { Country = "de", Rate = 0.16m }] };
        var sameDay = new TaxRates
        {
            Rates =
            [
                new() { Country = "DE", Rate = 0.19m },
                new() { Country = "DE", Rate = 0.16m, From = new DateOnly(2020, 7, 1), Until = new DateOnly(2021, 1, 1) },
                new() { Country = "DE", Rate = 0.15m, From = new DateOnly(2020, 7, 1) },
            ],
        };

        Assert.Contains("start on the same day", twice.Problem(), StringComparison.Ordinal);
        Assert.Contains("start on the same day", sameDay.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_tax_class_is_found_whatever_its_case()
    {
        var table = new TaxRates { Rates = [new() { Country = "DE", Class = "Standard", Rate = 0.19m }, new() { Country = "DE", Class = "reduced", Rate = 0.07m }] };

        Assert.Equal((0.19m, 0.07m), (table.RateFor("DE", null, new DateOnly(2026, 1, 1)), table.RateFor("DE", "Reduced", new DateOnly(2026, 1, 1))));
    }
}
