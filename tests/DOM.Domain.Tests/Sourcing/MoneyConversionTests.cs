using System.Globalization;
using Dom.Domain.Sourcing;

namespace Dom.Domain.Tests.Sourcing;

/// <summary>The optimiser counts money in thousandths and converts it without decimal arithmetic where it can; the
/// results must be the very decimals (digits and scale, hence the JSON) that the arithmetic gives.</summary>
public class MoneyConversionTests
{
    public static TheoryData<decimal> Amounts => new()
    {
        0m, -0m, 1m, -1m, 4.00m, 0.010m, 0.012m, 3.5m, 9.917m, -2.125m, 0.0005m, -0.0005m, 0.0015m, 1.23456m, 12.3449m,
        79228162514264337593543950335m, -79228162514264337593543950335m, 9223372036854775.807m, 9223372036854776m,
        1234567890123.456m, 0.001m, 100m, 1E-28m,
    };

    [Theory]
    [MemberData(nameof(Amounts))]
    public void Thousandths_of_an_amount_are_what_rounding_its_product_gives(decimal money)
    {
        long Expected() => (long)decimal.Round(money * 1000m, MidpointRounding.AwayFromZero);

        if (Math.Abs(money) >= 9223372036854775.808m)
        {
            Assert.ThrowsAny<OverflowException>(() => SourcingOptimiser.Millis(money));
            Assert.ThrowsAny<OverflowException>(() => Expected());
            return;
        }

        Assert.Equal(Expected(), SourcingOptimiser.Millis(money));
    }

    [Fact]
    public void Money_from_thousandths_has_the_digits_and_scale_of_the_division()
    {
        var random = new Random(20261206);
        var values = Enumerable.Range(-20_000, 40_001).Select(v => (long)v)
            .Concat(Enumerable.Range(0, 20_000).Select(_ => random.NextInt64(long.MinValue, long.MaxValue)))
            .Concat([long.MinValue, long.MaxValue, 0, 1000, -1000, 10_000_000]);
        foreach (var millis in values)
        {
            var expected = millis / 1000m;
            var actual = SourcingOptimiser.Money(millis);
            Assert.True(
                decimal.GetBits(expected).SequenceEqual(decimal.GetBits(actual)),
                $"{millis}: {expected} expected, {actual} built");
            Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture));
        }
    }
}
