using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using Dom.Grains.Hosting;
using Dom.Grains.Locations;
using Dom.Locations;
using Dom.Reservations;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Dom.Silo.Api;

public sealed record ShipToBody(string? Country, double? Latitude, double? Longitude);

public sealed record LineBody(string? Sku, int? Quantity);

/// <summary>A checkout hold as sent by a channel. The channel comes from the caller's key. <c>priority</c> "high" and a
/// <c>customerTier</c> the channel's profile lists (VIP) may take the last units and capacity; <c>pickupLocationId</c>
/// asks for click &amp; collect; <c>promisedBy</c> is the delivery date promised (in-transit supply counts against it).</summary>
public sealed record ReservationBody(
    string? ReservationId,
    ShipToBody? ShipTo,
    List<LineBody?>? Lines,
    int? TtlSeconds = null,
    RequestPriority? Priority = null,
    string? CustomerTier = null,
    string? PickupLocationId = null,
    DateOnly? PromisedBy = null);

public static class ReservationsApi
{
    public static RouteGroupBuilder MapReservationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/reservations").WithTags("Reservations").RequireAuthorization(Policies.Channel);
        api.MapPost("/", CreateAsync).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/{reservationId}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{reservationId}", ReleaseAsync).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<Results<Created<ReservationView>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        ReservationBody body, ClaimsPrincipal user, IReservationDesk desk, LocationDirectory locations, IGrainFactory grains, IOptions<SiloMessagingOptions> messaging, EngineMetrics metrics, DomClock clock)
    {
        var validation = Validate(body, clock.Today);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var request = ToRequest(body, user.Scope());
        var started = Stopwatch.GetTimestamp();
        CreateReservationResult result;
        // A pickup store that is none is the request's fault, not a shortage: a 422 that records nothing, so the id is
        // still free for the corrected request (unless it holds a reservation already, which the desk answers).
        // Read through the silo's location directory, which sourcing reads the store from next anyway.
        if (request.PickupLocationId is { } pickupId
            && LocationInfo.PickupProblem(pickupId, (await locations.GetSitesAsync(new HashSet<string>(StringComparer.Ordinal) { pickupId })).GetValueOrDefault(pickupId)?.ClickAndCollect) is { } pickupProblem
            && await grains.Get<IReservationGrain>(request.ReservationId).GetAsync(request.Channel) is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not a pickup location.", detail: pickupProblem);
        }

        try
        {
            // The desk runs in this request's flow, not behind a grain call, so it gets the grain calls' bound here: a
            // stalled journal is a 503 after Silo:ResponseTimeoutSeconds, as before. The attempt goes on and either
            // lands or gives its holds back; the client's retry with the same id gets whichever answer stands. Timed on
            // the silo's clock, which tests drive.
            result = await desk.CreateAsync(request).WaitAsync(messaging.Value.ResponseTimeout, clock.Time);
        }
        catch (Exception)
        {
            // Answered as a 503 by the exception handler (or a 500 if it is a bug): counted as unavailable either way.
            metrics.ReservationAnswered("unavailable", Stopwatch.GetElapsedTime(started));
            throw;
        }

        metrics.ReservationAnswered(EngineMetrics.OutcomeOf(result), Stopwatch.GetElapsedTime(started));
        return result.Outcome switch
        {
            // A retry after the reservation was released or lapsed holds nothing: not a 201, which means "held".
            ReservationOutcome.Replayed when result.Reservation.Status is ReservationStatus.Released or ReservationStatus.Expired => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Reservation no longer held.",
                detail: $"Reservation {request.ReservationId} was {result.Reservation.Status.ToString().ToLowerInvariant()}; nothing is held under it. Use a new id for a new reservation.",
                extensions: new Dictionary<string, object?> { ["reservationStatus"] = JsonNamingPolicy.CamelCase.ConvertName(result.Reservation.Status.ToString()) }),
            ReservationOutcome.Created or ReservationOutcome.Replayed when result.Reservation.Status != ReservationStatus.Refused =>
                TypedResults.Created($"/api/v1/reservations/{request.ReservationId}", result.Reservation),
            ReservationOutcome.UnknownArticles => TypedResults.Problem(
                statusCode: StatusCodes.Status422UnprocessableEntity,
                title: "Unknown article.",
                detail: $"No article {string.Join(", ", result.UnknownArticles ?? [])}; nothing was held or recorded.",
                extensions: new Dictionary<string, object?> { ["unknownSkus"] = result.UnknownArticles }),
            ReservationOutcome.IdempotencyConflict => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Reservation id already used.",
                detail: $"Reservation {request.ReservationId} was created with another body; use a new id for a new reservation."),
            _ => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Insufficient stock.",
                detail: "Not every line can be held; nothing was held.",
                extensions: new Dictionary<string, object?> { ["shortages"] = result.Reservation.Shortages }),
        };
    }

    private static async Task<Results<Ok<ReservationView>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string reservationId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("reservationId", reservationId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await grains.Get<IReservationGrain>(reservationId).GetAsync(user.Scope()) is { } view
            ? TypedResults.Ok(view)
            : Answers.NotFound($"Reservation {reservationId}");
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> ReleaseAsync(
        string reservationId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("reservationId", reservationId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await grains.Get<IReservationGrain>(reservationId).ReleaseAsync(user.Scope()) switch
        {
            null => Answers.NotFound($"Reservation {reservationId}"),
            // Its units are an order's now: a 204 would say they were given back.
            { Status: ReservationStatus.Converted } => TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Reservation became an order.",
                detail: $"Reservation {reservationId} was converted into an order, which holds its units now; cancel the order to give them back.",
                extensions: new Dictionary<string, object?> { ["reservationStatus"] = "converted" }),
            _ => TypedResults.NoContent(),
        };
    }

    /// <summary>The request a valid body stands for.</summary>
    internal static CreateReservationRequest ToRequest(ReservationBody body, string channel) => new(
        body.ReservationId!,
        channel,
        body.TtlSeconds ?? Validation.DefaultTtlSeconds,
        new ShipTo(body.ShipTo!.Country!, body.ShipTo.Latitude!.Value, body.ShipTo.Longitude!.Value),
        body.Lines!.Select(line => new LineRequest(line!.Sku!, line.Quantity!.Value)).ToList(),
        body.Priority ?? RequestPriority.Normal,
        body.CustomerTier,
        body.PickupLocationId,
        body.PromisedBy);

    internal static Validation Validate(ReservationBody body, DateOnly today)
    {
        var validation = new Validation()
            .Id("reservationId", body.ReservationId)
            .Int("ttlSeconds", body.TtlSeconds, 1, Validation.MaxTtlSeconds, required: false)
            .Id("customerTier", body.CustomerTier, required: false)
            .Id("pickupLocationId", body.PickupLocationId, required: false)
            .Required("shipTo", body.ShipTo);
        if (body.PromisedBy is { } promised && (promised < today || promised > today.AddDays(366)))
        {
            validation.Add("promisedBy", "Must be from today to a year ahead.");
        }

        if (body.ShipTo is { } shipTo)
        {
            validation.Country("shipTo.country", shipTo.Country).Position("shipTo.", shipTo.Latitude, shipTo.Longitude);
        }

        if (body.Lines is not { Count: > 0 and <= Validation.MaxLines } lines)
        {
            return validation.Add("lines", $"From 1 to {Validation.MaxLines} lines are required.");
        }

        var skus = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i] is not { } line)
            {
                validation.Add($"lines[{i}]", "Required.");
                continue;
            }

            validation.Id($"lines[{i}].sku", line.Sku).Int($"lines[{i}].quantity", line.Quantity, 1, Validation.MaxQuantity);
            if (line.Sku is not null && !skus.Add(line.Sku))
            {
                validation.Add($"lines[{i}].sku", "Each SKU may appear in one line only.");
            }
        }

        return validation;
    }
}
