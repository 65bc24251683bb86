using System.Security.Claims;
using Dom.Grains.Hosting;
using Dom.Grains.Locations;
using Dom.Locations;

namespace Dom.Silo.Api;

/// <summary>Location master data as sent by an operator. The id comes from the path. Optional: the dispatch calendar,
/// handling costs, and whether it ships to customers (default: unless virtual) or offers click &amp; collect (default: stores).</summary>
public sealed record LocationBody(
    string? Name,
    LocationType? Type,
    double? Latitude,
    double? Longitude,
    int? CapacityPerDay,
    string? LocationId = null,
    string? Country = null,
    CalendarBody? Calendar = null,
    CostsBody? Costs = null,
    bool? ShipsToCustomers = null,
    bool? ClickAndCollect = null);

/// <summary>Opening hours of one weekday (UTC, "HH:mm:ss").</summary>
public sealed record HoursBody(DayOfWeek? Day, TimeOnly? Opens, TimeOnly? Closes);

/// <summary>A location's dispatch calendar: working weekdays with hours (none: every day), closed dates, cut-off time.</summary>
public sealed record CalendarBody(List<HoursBody?>? Hours = null, List<DateOnly>? ClosedDates = null, TimeOnly? CutOff = null);

/// <summary>A location's handling costs.</summary>
public sealed record CostsBody(decimal? HandlingPerShipment = null, decimal? HandlingPerUnit = null);

/// <summary>A day's capacity limit; the date defaults to today.</summary>
public sealed record CapacityBody(int? Limit, DateOnly? Date = null);

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

    private static async Task<Results<Ok<LocationInfo>, ValidationProblem>> PutAsync(string locationId, LocationBody body, IGrainFactory grains, LocationDirectory directory)
    {
        var validation = new Validation()
            .Id("locationId", locationId)
            .SameAsRoute("locationId", body.LocationId, locationId)
            .Text("name", body.Name, 200)
            .Required("type", body.Type)
            .Position("", body.Latitude, body.Longitude)
            .Int("capacityPerDay", body.CapacityPerDay, 0, Validation.MaxCapacity)
            .Country("country", body.Country, required: false);
        if (body.Costs is { } costs)
        {
            validation.Money("costs.handlingPerShipment", costs.HandlingPerShipment, 100_000m).Money("costs.handlingPerUnit", costs.HandlingPerUnit, 100_000m, decimals: 3);
        }

        if (body.Calendar is { } calendar)
        {
            ValidateCalendar(validation, calendar);
        }

        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var info = new LocationInfo(
            locationId,
            body.Name!.Trim(),
            body.Type!.Value,
            body.Latitude!.Value,
            body.Longitude!.Value,
            body.CapacityPerDay!.Value,
            body.Country ?? "",
            body.Calendar is { } c
                ? new LocationCalendar(
                    (c.Hours ?? []).Select(h => new OpeningHours(h!.Day!.Value, h.Opens!.Value, h.Closes!.Value)).ToList(),
                    (c.ClosedDates ?? []).Distinct().Order().ToList(),
                    c.CutOff)
                : null,
            body.Costs is { } k ? new LocationCosts(k.HandlingPerShipment ?? 0, k.HandlingPerUnit ?? 0) : null,
            body.ShipsToCustomers,
            body.ClickAndCollect);
        var stored = await grains.Get<ILocationGrain>(locationId).PutAsync(info);
        directory.Forget(locationId);
        return TypedResults.Ok(stored);
    }

    private static void ValidateCalendar(Validation validation, CalendarBody calendar)
    {
        var hours = calendar.Hours ?? [];
        for (var i = 0; i < hours.Count; i++)
        {
            if (hours[i] is not { } day)
            {
                validation.Add($"calendar.hours[{i}]", "Required.");
                continue;
            }

            validation.Required($"calendar.hours[{i}].day", day.Day).Required($"calendar.hours[{i}].opens", day.Opens).Required($"calendar.hours[{i}].closes", day.Closes);
            if (day.Opens >= day.Closes)
            {
                validation.Add($"calendar.hours[{i}].closes", "Must be after opens.");
            }
        }

        if (hours.Where(h => h?.Day is not null).GroupBy(h => h!.Day).Any(g => g.Count() > 1))
        {
            validation.Add("calendar.hours", "Each weekday at most once.");
        }

        if (calendar.ClosedDates is { Count: > 400 })
        {
            validation.Add("calendar.closedDates", "At most 400 dates.");
        }
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

        return await grains.Get<ILocationGrain>(locationId).GetAsync() is { } info ? TypedResults.Ok(info) : Answers.NotFound($"Location {locationId}");
    }

    private static async Task<Results<Ok<CapacitySnapshot>, ValidationProblem, ProblemHttpResult>> SetCapacityAsync(
        string locationId, CapacityBody body, ClaimsPrincipal user, IGrainFactory grains, DomClock clock, LocationDirectory directory)
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

        var capacity = await grains.Get<ILocationGrain>(locationId).SetCapacityAsync(new SetCapacityRequest(body.Date ?? today, body.Limit!.Value));
        directory.Forget(locationId);
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

        var capacity = await grains.Get<ILocationGrain>(locationId).GetCapacityAsync(date ?? clock.Today);
        return capacity is null ? Answers.NotFound($"Location {locationId}") : TypedResults.Ok(capacity);
    }
}
