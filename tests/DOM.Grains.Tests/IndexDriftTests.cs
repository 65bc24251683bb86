using Dom.Grains.Stock;

namespace Dom.Grains.Tests;

/// <summary>When a slot's availability is worth telling the article's index: a fall once it is a twentieth of what the
/// index last heard (every fall while that is 20 units or less), a rise at once.</summary>
public class IndexDriftTests
{
    [Theory]
    [InlineData(1_000, 951)]
    [InlineData(100_000, 95_001)]
    [InlineData(21, 20)]
    [InlineData(1_000, 1_000)]
    [InlineData(0, 0)]
    public void A_fall_of_less_than_a_twentieth_or_no_change_is_not_published(int published, int available) =>
        Assert.False(IndexDrift.Matters(published, available));

    [Theory]
    [InlineData(1_000, 950)]
    [InlineData(100_000, 95_000)]
    [InlineData(20, 19)]
    [InlineData(1, 0)]
    [InlineData(int.MaxValue, 0)]
    public void A_fall_of_a_twentieth_is_published_and_at_20_units_or_less_every_fall(int published, int available) =>
        Assert.True(IndexDrift.Matters(published, available));

    [Theory]
    [InlineData(1_000, 1_001)]
    [InlineData(20, 21)]
    [InlineData(0, 1)]
    public void Every_rise_is_published_so_the_index_never_says_less_than_the_slot_has(int published, int available) =>
        Assert.True(IndexDrift.Matters(published, available));

    [Fact]
    public void The_first_number_of_an_activation_is_always_published() =>
        Assert.True(IndexDrift.Matters(null, 5));
}
