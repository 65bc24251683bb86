using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dom.Reservations;

namespace Dom.Grains.Reservations;

/// <summary>How a reservation is kept in the journal: its stream, and the fingerprint that tells a retry of the same
/// request from another request under the same id. Shared by the desk (which records new reservations) and the
/// reservation grain (which serves them afterwards).</summary>
internal static class ReservationJournal
{
    /// <summary>The journal stream of reservation <paramref name="reservationId"/>.</summary>
    public static string StreamOf(string reservationId) => $"reservation/{reservationId}";

    /// <summary>The hash of what the request asks for; recorded with the first answer.</summary>
    public static string Fingerprint(CreateReservationRequest request)
    {
        var text = new StringBuilder()
            .Append(request.Channel).Append('|')
            .Append(request.TtlSeconds).Append('|')
            .Append(request.ShipTo.Country).Append('|')
            .Append(request.ShipTo.Latitude.ToString("R", CultureInfo.InvariantCulture)).Append('|')
            .Append(request.ShipTo.Longitude.ToString("R", CultureInfo.InvariantCulture));
        foreach (var line in request.Lines)
        {
            text.Append('|').Append(line.Sku).Append('*').Append(line.Quantity);
        }

        // Members added later count only when set, so fingerprints recorded before them stay valid.
        if (request.Priority != RequestPriority.Normal || request.CustomerTier is not null || request.PickupLocationId is not null || request.PromisedBy is not null)
        {
            text.Append("|p=").Append(request.Priority)
                .Append("|t=").Append(request.CustomerTier)
                .Append("|c=").Append(request.PickupLocationId)
                .Append("|d=").Append(request.PromisedBy?.ToString("O", CultureInfo.InvariantCulture));
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
