using Dom.Grains.Stock;

namespace Dom.Grains.Tests;

/// <summary>When a slot's availability is worth telling the article's index: once it is a twentieth away from what the
/// index last heard, every change below 20 units.</summary>
public class IndexDriftTests
{
    [Theory]
    [InlineData(1_000, 951)]
    [InlineData(1_000, 1_049)]
    [InlineData(100_000, 95_001)]
    [InlineData(20, 20)]
    [InlineData(0, 0)]
    public void Less_than_a_twentieth_off_is_not_worth_a_publication(int published, int available) =>
        Assert.False(IndexDrift.Matters(published, available));

    [Theory]
    [InlineData(1_000, 950)]
    [InlineData(1_000, 1_050)]
    [InlineData(100_000, 95_000)]
    [InlineData(20, 19)]
    [InlineData(19, 18)]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    [InlineData(int.MaxValue, 0)]
    public void A_twentieth_or_more_is_published_and_below_twenty_units_every_change(int published, int available) =>
        Assert.True(IndexDrift.Matters(published, available));

    [Fact]
    public void The_first_number_of_an_activation_is_always_published() =>
        Assert.True(IndexDrift.Matters(null, 5));
}
