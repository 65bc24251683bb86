using System.Security.Claims;
using Dom.Grains.Hosting;
using Dom.Locations;

namespace Dom.Silo.Api;

/// <summary>Location master data as sent by an operator. The id comes from the path.</summary>
public sealed record LocationBody(
    string? LocationId,
    string? Name,
    LocationType? Type,
    double? Latitude,
    double? Longitude,
    int? CapacityPerDay,
    string? Country);

/// <summary>A day's capacity limit; the date defaults to today.</summary>
public sealed record CapacityBody(DateOnly? Date, int? Limit);

public static class LocationsApi
{
    public static RouteGroupBuilder MapLocationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/locations").WithTags("Locations");
        api.MapPut("/{locationId}", PutAsync).RequireAuthorization(Policies.Operator);
        api.MapGet("/{locationId}", GetAsync).RequireAuthorization(Policies.OperatorOrStore);
        api.MapPut("/{locationId}/capacity", SetCapacityAsync).RequireAuthorization(Policies.OperatorOrStore);
        api.MapGet("/{locationId}/capacity", GetCapacityAsync).RequireAuthorization(Policies.OperatorOrStore);
        return api;
    }

    private static async Task<Results<Ok<LocationInfo>, ValidationProblem>> PutAsync(string locationId, LocationBody body, IGrainFactory grains)
    {
        var validation = new Validation()
            .Id("locationId", locationId)
            .SameAsRoute("locationId", body.LocationId, locationId)
            .Text("name", body.Name, 200)
            .Required("type", body.Type)
            .Position("", body.Latitude, body.Longitude)
            .Int("capacityPerDay", body.CapacityPerDay, 0, Validation.MaxCapacity)
            .Country("country", body.Country, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var info = new LocationInfo(locationId, body.Name!.Trim(), body.Type!.Value, body.Latitude!.Value, body.Longitude!.Value, body.CapacityPerDay!.Value, body.Country ?? "");
        return TypedResults.Ok(await grains.GetGrain<ILocationGrain>(locationId).PutAsync(info));
    }

    private static async Task<Results<Ok<LocationInfo>, ValidationProblem, ProblemHttpResult>> GetAsync(string locationId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("locationId", locationId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        return await grains.GetGrain<ILocationGrain>(locationId).GetAsync() is { } info ? TypedResults.Ok(info) : Answers.NotFound($"Location {locationId}");
    }

    private static async Task<Results<Ok<CapacitySnapshot>, ValidationProblem, ProblemHttpResult>> SetCapacityAsync(
        string locationId, CapacityBody body, ClaimsPrincipal user, IGrainFactory grains, DomClock clock)
    {
        var today = clock.Today;
        var validation = new Validation()
            .Id("locationId", locationId)
            .Int("limit", body.Limit, 0, Validation.MaxCapacity);
        if (body.Date is { } date && (date < today.AddDays(-1) || date > today.AddDays(366)))
        {
            validation.Add("date", "Must be from yesterday to a year ahead.");
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        var capacity = await grains.GetGrain<ILocationGrain>(locationId).SetCapacityAsync(new SetCapacityRequest(body.Date ?? today, body.Limit!.Value));
        return capacity is null ? Answers.NotFound($"Location {locationId}") : TypedResults.Ok(capacity);
    }

    private static async Task<Results<Ok<CapacitySnapshot>, ValidationProblem, ProblemHttpResult>> GetCapacityAsync(
        string locationId, DateOnly? date, ClaimsPrincipal user, IGrainFactory grains, DomClock clock)
    {
        var validation = new Validation().Id("locationId", locationId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        if (!user.MayManageLocation(locationId))
        {
            return Answers.Forbidden();
        }

        var capacity = await grains.GetGrain<ILocationGrain>(locationId).GetCapacityAsync(date ?? clock.Today);
        return capacity is null ? Answers.NotFound($"Location {locationId}") : TypedResults.Ok(capacity);
    }
}
