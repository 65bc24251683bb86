namespace Dom.Reservations;

/// <summary>A checkout hold across lines, keyed by the reservation id: what was held where, and until when.</summary>
[Alias("dom.reservations.reservation")]
public interface IReservationGrain : IGrainWithStringKey
{
    /// <summary>Answers a create request whose id was recorded before (by an earlier attempt, or by a concurrent one):
    /// the recorded answer for the same body, an idempotency conflict for another. Gives back the holds in
    /// <paramref name="taken"/> that the recorded reservation does not hold, as they belong to the attempt that lost.
    /// Called by the <see cref="IReservationDeskGrain"/>.</summary>
    [Alias("settle")]
    Task<CreateReservationResult> SettleAsync(CreateReservationRequest request, IReadOnlyList<ReservationLine> taken);

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
