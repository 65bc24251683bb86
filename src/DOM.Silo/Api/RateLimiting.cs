using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Dom.Silo.Api;

/// <summary>
/// How many requests each caller may make on one silo per <see cref="Period"/> (a token bucket: a burst of a period's
/// worth, refilled over the period). Beyond it the silo answers 429 with <c>Retry-After</c>. 0 turns a limit off.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Per API key (its role and scope): a runaway client slows itself, not the other channels and stores.</summary>
    public int PerKey { get; set; } = 20_000;

    /// <summary>Per client address, for requests without a valid key.</summary>
    public int Anonymous { get; set; } = 20;

    /// <summary>Per client address, lookups of keys this silo does not know yet (each costs a grain call and a read).</summary>
    public int KeyLookups { get; set; } = 20;

    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);
}

internal static class RateLimiting
{
    public static IServiceCollection AddDomRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>()
            .BindConfiguration(RateLimitOptions.Section)
            .Validate(o => o.PerKey >= 0 && o.Anonymous >= 0 && o.KeyLookups >= 0 && o.Period > TimeSpan.Zero, "RateLimits: PerKey, Anonymous and KeyLookups must be 0 (off) or more, Period positive.")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, limits) =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, limits.Value));
            limiter.OnRejected = RejectAsync;
        });
        return services;
    }

    /// <summary>After authentication: the caller is known by its key, or by its address when it has none.</summary>
    private static RateLimitPartition<string> Partition(HttpContext context, RateLimitOptions limits)
    {
        var user = context.User;
        var (key, permits) = user.Identity?.IsAuthenticated == true
            ? ($"key:{user.FindFirstValue(ClaimTypes.Role)}:{user.Scope()}", limits.PerKey)
            : ($"address:{context.Connection.RemoteIpAddress}", limits.Anonymous);
        return Partition(key, permits, limits.Period);
    }

    /// <summary>A caller's token bucket of <paramref name="permits"/> per <paramref name="period"/> (refused beyond
    /// it); no limit for 0.</summary>
    public static RateLimitPartition<string> Partition(string key, int permits, TimeSpan period) =>
        permits == 0
            ? RateLimitPartition.GetNoLimiter(key)
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = permits,
                TokensPerPeriod = permits,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            });

    /// <summary>A Retry-After value: whole seconds, at least 1.</summary>
    public static string Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Seconds(wait);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests.",
                Detail = "This caller's request rate is over the silo's limit; retry after the time in Retry-After.",
            },
        });
    }
}

/// <summary>Lookups of API keys this silo does not know yet, per client address: <see cref="RateLimitOptions.KeyLookups"/>
/// per period. Authentication runs before the request limiter, so without this a stream of made-up keys of the issued
/// shape would each cost a grain activation and a storage read.</summary>
internal sealed class KeyLookupLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimiting.Partition(address, options.Value.KeyLookups, options.Value.Period));

    /// <summary>Takes one lookup for the caller's address; false with how long to wait when none is left.</summary>
    public bool TryAcquire(HttpContext context, out TimeSpan? wait)
    {
        using var lease = _limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "");
        wait = lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : options.Value.Period;
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
