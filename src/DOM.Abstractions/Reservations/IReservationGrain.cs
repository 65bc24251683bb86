namespace Dom.Reservations;

/// <summary>A checkout hold across lines, keyed by the reservation id: what was held where, and until when.</summary>
[Alias("dom.reservations.reservation")]
public interface IReservationGrain : IGrainWithStringKey
{
    /// <summary>Holds every line or nothing. A retry of the same request returns the first answer.</summary>
    [Alias("create")]
    Task<CreateReservationResult> CreateAsync(CreateReservationRequest request);

    /// <summary>The reservation, or null when it does not exist or belongs to another channel.</summary>
    [Alias("get")]
    Task<ReservationView?> GetAsync(string channel);

    /// <summary>Releases every hold early; idempotent. Null when it does not exist or belongs to another channel.</summary>
    [Alias("release")]
    Task<ReservationView?> ReleaseAsync(string channel);
}
