using Dom.Domain.Geo;

namespace Dom.Domain.Tests;

public class GeoPointTests
{
    [Fact]
    public void Haversine_distance_matches_a_known_city_pair()
    {
        var berlin = new GeoPoint(52.52, 13.405);

        Assert.InRange(berlin.DistanceKmTo(new GeoPoint(48.1351, 11.5820)), 500, 510);
        Assert.Equal(0, berlin.DistanceKmTo(berlin), 6);
    }

    [Theory]
    [InlineData(90.1, 0)]
    [InlineData(0, -180.1)]
    [InlineData(double.NaN, 0)]
    public void Positions_outside_the_globe_are_invalid(double latitude, double longitude)
    {
        Assert.False(GeoPoint.IsValid(latitude, longitude));
    }
}
