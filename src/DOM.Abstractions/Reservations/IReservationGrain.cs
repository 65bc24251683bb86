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

    /// <summary>Marks a held reservation as converted into <paramref name="orderId"/> so it neither lapses into
    /// "expired" nor can be released; the order takes over its holds. Returns the reservation as it was held, or null
    /// when it does not exist, belongs to another channel, or is no longer held (expired, released, refused, or
    /// converted into another order). Idempotent for the same order.</summary>
    [Alias("convert")]
    Task<ReservationView?> ConvertAsync(string channel, string orderId);

    /// <summary>Releases every hold early; idempotent. Null when it does not exist or belongs to another channel.</summary>
    [Alias("release")]
    Task<ReservationView?> ReleaseAsync(string channel);
}
