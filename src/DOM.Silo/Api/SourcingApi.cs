using System.Security.Claims;
using Dom.Grains.Hosting;
using Dom.Locations;
using Dom.Sourcing;

namespace Dom.Silo.Api;

/// <summary>A location type's shipping rate as sent by an operator.</summary>
public sealed record RateBody(LocationType? Type, decimal? PerShipment, decimal? PerKm);

/// <summary>One entry of the zone table as sent by an operator.</summary>
public sealed record ZoneBody(string? FromCountry, string? ToCountry, decimal? PerShipment);

/// <summary>A new profile draft: only what changes; every member left out is copied from the active version.
/// <c>maxDistanceKm</c> 0 removes the distance limit.</summary>
public sealed record ProfileDraftBody(
    string? Note = null,
    List<LocationType>? AllowedLocationTypes = null,
    int? MaxShipments = null,
    double? MaxDistanceKm = null,
    ShippingModel? ShippingModel = null,
    List<RateBody?>? ShippingRates = null,
    List<ZoneBody?>? ShippingZones = null,
    decimal? SplitPenalty = null,
    decimal? FewerShipmentsTolerance = null,
    decimal? DeliveryDayCost = null,
    decimal? CapacityPressureCost = null,
    double? KmPerTransitDay = null,
    int? TransferDays = null,
    bool? UseInTransit = null,
    List<string?>? PriorityTiers = null,
    int? StockReserve = null,
    int? CapacityReserve = null);

/// <summary>Sourcing: explain a decision without taking anything, and the versioned sourcing profiles per channel.</summary>
public static class SourcingApi
{
    private const decimal MaxMoney = 100_000m;

    public static RouteGroupBuilder MapSourcingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/sourcing").WithTags("Sourcing");
        api.MapPost("/explain", ExplainAsync).RequireAuthorization(Policies.Channel);
        var profiles = api.MapGroup("/profiles").RequireAuthorization(Policies.Operator);
        profiles.MapGet("/{channel}", GetProfilesAsync);
        profiles.MapPost("/{channel}/drafts", CreateDraftAsync);
        profiles.MapGet("/{channel}/versions/{version:int}", GetVersionAsync);
        profiles.MapPost("/{channel}/versions/{version:int}/activate", ActivateAsync);
        profiles.MapPost("/{channel}/rollback", RollBackAsync);
        return api;
    }

    /// <summary>Same body as a reservation; plans exactly as the reservation would, from the same data, and holds nothing.</summary>
    private static async Task<Results<Ok<SourcingExplanation>, ValidationProblem>> ExplainAsync(
        ReservationBody body, ClaimsPrincipal user, IGrainFactory grains, DomClock clock)
    {
        var validation = ReservationsApi.Validate(body, clock.Today);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var request = ReservationsApi.ToRequest(body, user.Scope());
        var explanation = await grains.Get<ISourcingGrain>(0).ExplainAsync(new SourcingRequest(
            request.ReservationId,
            request.Channel,
            request.ShipTo,
            request.Lines,
            clock.UtcNow.AddSeconds(request.TtlSeconds),
            null,
            request.Priority,
            request.CustomerTier,
            request.PickupLocationId,
            request.PromisedBy));
        return TypedResults.Ok(explanation);
    }

    private static async Task<Results<Ok<SourcingProfileBook>, ValidationProblem>> GetProfilesAsync(string channel, IGrainFactory grains)
    {
        var validation = new Validation().Id("channel", channel);
        return validation.IsValid ? TypedResults.Ok(await grains.Get<ISourcingProfileGrain>(channel).GetAsync()) : validation.Problem();
    }

    private static async Task<Results<Ok<SourcingProfileVersion>, ValidationProblem, ProblemHttpResult>> GetVersionAsync(string channel, int version, IGrainFactory grains)
    {
        var validation = new Validation().Id("channel", channel);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var book = await grains.Get<ISourcingProfileGrain>(channel).GetAsync();
        return book.Versions.FirstOrDefault(v => v.Version == version) is { } found ? TypedResults.Ok(found) : Answers.NotFound($"Profile version {version} of channel {channel}");
    }

    private static async Task<Results<Created<SourcingProfileVersion>, Ok<SourcingProfileVersion>, ValidationProblem>> CreateDraftAsync(string channel, ProfileDraftBody body, IGrainFactory grains)
    {
        var validation = Validate(channel, body);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var draft = new SourcingProfileDraft
        {
            Note = body.Note?.Trim(),
            AllowedLocationTypes = body.AllowedLocationTypes,
            MaxShipments = body.MaxShipments,
            MaxDistanceKm = body.MaxDistanceKm,
            ShippingModel = body.ShippingModel,
            ShippingRates = body.ShippingRates?.Select(r => new ShippingRate(r!.Type!.Value, r.PerShipment!.Value, r.PerKm!.Value)).ToList(),
            ShippingZones = body.ShippingZones?.Select(z => new ShippingZone(z!.FromCountry!, z.ToCountry!, z.PerShipment!.Value)).ToList(),
            SplitPenalty = body.SplitPenalty,
            FewerShipmentsTolerance = body.FewerShipmentsTolerance,
            DeliveryDayCost = body.DeliveryDayCost,
            CapacityPressureCost = body.CapacityPressureCost,
            KmPerTransitDay = body.KmPerTransitDay,
            TransferDays = body.TransferDays,
            UseInTransit = body.UseInTransit,
            PriorityTiers = body.PriorityTiers?.Select(t => t!).ToList(),
            StockReserve = body.StockReserve,
            CapacityReserve = body.CapacityReserve,
        };
        var result = await grains.Get<ISourcingProfileGrain>(channel).DraftAsync(draft);
        return result switch
        {
            { Status: DraftStatus.Created, Version: { } created } => TypedResults.Created($"/api/v1/sourcing/profiles/{channel}/versions/{created.Version}", created),
            { Status: DraftStatus.Exists, Version: { } existing } => TypedResults.Ok(existing),
            _ => new Validation().Add(result.Field ?? "draft", result.Problem ?? "The draft cannot be used.").Problem(),
        };
    }

    private static async Task<Results<Ok<SourcingProfileBook>, ValidationProblem, ProblemHttpResult>> ActivateAsync(string channel, int version, IGrainFactory grains)
    {
        var validation = new Validation().Id("channel", channel);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var result = await grains.Get<ISourcingProfileGrain>(channel).ActivateAsync(new ActivateProfileRequest(version));
        return result.Status switch
        {
            ProfileChangeStatus.UnknownVersion => Answers.NotFound($"Profile version {version} of channel {channel}"),
            ProfileChangeStatus.Unusable => Unusable(version, result),
            _ => TypedResults.Ok(result.Book),
        };
    }

    /// <summary>Rolls back to the version active before. <paramref name="revision"/> (the book's, as the caller read it)
    /// makes a retry safe: the rollback is done once, and a retry answers the book as it is; <paramref name="from"/> (the
    /// version the caller saw active) does too, until that version is active again.</summary>
    private static async Task<Results<Ok<SourcingProfileBook>, ValidationProblem, ProblemHttpResult>> RollBackAsync(string channel, int? from, int? revision, IGrainFactory grains)
    {
        var validation = new Validation().Id("channel", channel).Int("from", from, 0, int.MaxValue, required: false).Int("revision", revision, 0, int.MaxValue, required: false);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var result = await grains.Get<ISourcingProfileGrain>(channel).RollBackAsync(new RollBackRequest(from, revision));
        return result.Status switch
        {
            ProfileChangeStatus.Changed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The profile changed.", detail: $"Channel {channel}'s profile is at revision {result.Book.Revision}, not {revision}, and was not rolled back from it: read it again."),
            ProfileChangeStatus.NothingToRollBack => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to roll back.", detail: $"Channel {channel} runs on the built-in profile."),
            ProfileChangeStatus.NotActive => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not the active version.", detail: $"Channel {channel} runs on version {result.Book.ActiveVersion}, not {from}."),
            ProfileChangeStatus.Unusable => Unusable(result.Book.History.Count > 1 ? result.Book.History[^2] : 0, result),
            _ => TypedResults.Ok(result.Book),
        };
    }

    private static ProblemHttpResult Unusable(int version, ProfileChangeResult result) =>
        TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The version cannot be used.", detail: $"Version {version}: {result.Problem} Activate another version.");

    private static Validation Validate(string channel, ProfileDraftBody body)
    {
        var validation = new Validation()
            .Id("channel", channel)
            .Text("note", body.Note, 500, required: false)
            .Int("maxShipments", body.MaxShipments, 1, 10, required: false)
            .Double("maxDistanceKm", body.MaxDistanceKm, 0, 40_000)
            .Money("splitPenalty", body.SplitPenalty, MaxMoney)
            .Money("fewerShipmentsTolerance", body.FewerShipmentsTolerance, MaxMoney)
            .Money("deliveryDayCost", body.DeliveryDayCost, MaxMoney)
            .Money("capacityPressureCost", body.CapacityPressureCost, MaxMoney)
            .Double("kmPerTransitDay", body.KmPerTransitDay, 1, 40_000)
            .Int("transferDays", body.TransferDays, 0, 30, required: false)
            .Int("stockReserve", body.StockReserve, 0, Validation.MaxStock, required: false)
            .Int("capacityReserve", body.CapacityReserve, 0, Validation.MaxCapacity, required: false);
        if (body.AllowedLocationTypes is { } types)
        {
            if (types.Count == 0 || types.Distinct().Count() != types.Count)
            {
                validation.Add("allowedLocationTypes", "At least one type, each at most once.");
            }

            if (types.Contains(LocationType.Virtual))
            {
                validation.Add("allowedLocationTypes", "Virtual locations serve non-physical articles only; they need no permission.");
            }
        }

        if (body.ShippingRates is { } rates)
        {
            for (var i = 0; i < rates.Count; i++)
            {
                if (rates[i] is not { } rate)
                {
                    validation.Add($"shippingRates[{i}]", "Required.");
                    continue;
                }

                validation.Required($"shippingRates[{i}].type", rate.Type)
                    .Money($"shippingRates[{i}].perShipment", rate.PerShipment, MaxMoney, required: true)
                    .Money($"shippingRates[{i}].perKm", rate.PerKm, 1_000m, required: true);
            }

            if (rates.Where(r => r?.Type is not null).GroupBy(r => r!.Type).Any(g => g.Count() > 1))
            {
                validation.Add("shippingRates", "Each location type at most once.");
            }
        }

        if (body.ShippingZones is { } zones)
        {
            if (zones.Count > 1_000)
            {
                validation.Add("shippingZones", "At most 1000 entries.");
            }

            for (var i = 0; i < zones.Count && i < 1_000; i++)
            {
                if (zones[i] is not { } zone)
                {
                    validation.Add($"shippingZones[{i}]", "Required.");
                    continue;
                }

                validation.Country($"shippingZones[{i}].fromCountry", zone.FromCountry)
                    .Country($"shippingZones[{i}].toCountry", zone.ToCountry)
                    .Money($"shippingZones[{i}].perShipment", zone.PerShipment, MaxMoney, required: true);
            }

            if (zones.Where(z => z is not null).GroupBy(z => (z!.FromCountry, z.ToCountry)).Any(g => g.Count() > 1))
            {
                validation.Add("shippingZones", "Each pair of countries at most once.");
            }
        }

        if (body.PriorityTiers is { } tiers)
        {
            if (tiers.Count > 20)
            {
                validation.Add("priorityTiers", "At most 20 tiers.");
            }

            for (var i = 0; i < tiers.Count && i < 20; i++)
            {
                validation.Id($"priorityTiers[{i}]", tiers[i]);
            }

            // Compared without case, as orders' tiers are.
            if (tiers.Where(t => t is not null).GroupBy(t => t, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
            {
                validation.Add("priorityTiers", "Each tier at most once (tiers are compared without case).");
            }
        }

        return validation;
    }
}
