namespace Dom.Reservations;

/// <summary>A checkout hold across lines, keyed by the reservation id: what was held where, and until when.</summary>
[Alias("dom.reservations.reservation")]
public interface IReservationGrain : IGrainWithStringKey
{
    /// <summary>Answers a create attempt that could not record its answer (the id was recorded before, by an earlier or
    /// a concurrent attempt, or the write failed): from the record — this attempt's own if it landed after all, else
    /// the recorded answer for the same body or an idempotency conflict for another — after giving back what this
    /// attempt took under <paramref name="holdId"/> unless it is the one recorded. With no record at all it gives them
    /// back and fails, so the caller can retry. Called by the reservation desk (<see cref="IReservationDesk"/>).</summary>
    [Alias("settle")]
    Task<CreateReservationResult> SettleAsync(CreateReservationRequest request, string holdId, IReadOnlyList<ReservationLine> taken);

    /// <summary>As <see cref="SettleAsync"/>, for an attempt whose answer is <paramref name="attempt"/>. With no record,
    /// the stream is first closed to a record still on its way (one reported failed may land later), so the holds go
    /// back only once none can land; when that close cannot be stored, nothing goes back (the holds lapse at their
    /// expiry). With the stream closed that way by an earlier attempt, this attempt records its answer after it, if
    /// its holds are stored (<paramref name="holdsStored"/>).</summary>
    [Alias("settle-attempt")]
    Task<CreateReservationResult> SettleAttemptAsync(CreateReservationRequest request, ReservationView attempt, IReadOnlyList<ReservationLine> taken, bool holdsStored);

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
