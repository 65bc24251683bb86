using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Dom.Access;
using Dom.Grains.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Dom.Silo.Api;

/// <summary>Keys configured for the deployment: the operator key, and optionally fixed keys for other roles.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>The operator's key (<c>Auth__OperatorKey</c> in the environment).</summary>
    public string OperatorKey { get; set; } = "";

    /// <summary>Fixed keys for channels, stores and partners, beside those issued through the API.</summary>
    public List<ConfiguredKey> Keys { get; set; } = [];

    /// <summary>How long a silo trusts an issued key it has looked up before it asks again: the longest a key revoked
    /// through another silo still works on this one (the silo that revoked it stops at once). When the check cannot be
    /// made (storage unavailable) the key goes on working for as long again, and then answers 503 until a check
    /// succeeds: a revoked key is never trusted for more than twice this on a silo that cannot look.</summary>
    public int IssuedKeyRecheckSeconds { get; set; } = 30;

    public sealed class ConfiguredKey
    {
        public string Key { get; set; } = "";

        public ApiRole Role { get; set; }

        public string Scope { get; set; } = "";
    }
}

/// <summary>The authorization policies; a handler then checks the scope against the resource (a store's own location).</summary>
public static class Policies
{
    public const string Operator = "operator";
    public const string Channel = "channel";
    public const string ChannelOrOperator = "channel-or-operator";
    public const string OperatorOrStore = "operator-or-store";
    public const string Fulfilment = "fulfilment";
    public const string AnyRole = "any-role";

    public const string ScopeClaim = "dom:scope";
}

/// <summary>What the caller's key allows.</summary>
public static class CallerExtensions
{
    public static string Scope(this ClaimsPrincipal user) => user.FindFirstValue(Policies.ScopeClaim) ?? "";

    /// <summary>The role of an authenticated caller's key.</summary>
    public static ApiRole Role(this ClaimsPrincipal user) => Enum.Parse<ApiRole>(user.FindFirstValue(ClaimTypes.Role)!);

    public static bool IsOperator(this ClaimsPrincipal user) => user.IsInRole(nameof(ApiRole.Operator));

    /// <summary>Operators manage every location; a store only its own.</summary>
    public static bool MayManageLocation(this ClaimsPrincipal user, string locationId) =>
        user.IsOperator() || (user.IsInRole(nameof(ApiRole.Store)) && user.Scope() == locationId);
}

/// <summary>Finds the grant behind a key: the configured ones first, then the issued ones (stored as SHA-256).</summary>
internal sealed class ApiKeyStore(IOptions<AuthOptions> options, IGrainFactory grains, DomClock clock)
{
    private readonly ConcurrentDictionary<string, (ApiKeyGrant Grant, DateTimeOffset RecheckAt, DateTimeOffset TrustedUntil)> _issued = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiKeyGrant> _configured = Configured(options.Value);
    private readonly TimeSpan _recheck = TimeSpan.FromSeconds(options.Value.IssuedKeyRecheckSeconds);

    /// <summary>The key's id: its SHA-256 in upper-case hex. Issued keys are stored under it, and revoked by it.</summary>
    public static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Forgets a key this silo trusted (it was just revoked here), for good: a lookup still in flight from before
    /// the revocation does not bring it back.</summary>
    public void Forget(string hash)
    {
        _revoked[hash] = true;
        _issued.TryRemove(hash, out _);
    }

    private readonly ConcurrentDictionary<string, bool> _revoked = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="hash"/> is the id of a key from configuration (the operator key, <c>Auth:Keys</c>):
    /// those are not issued, so they cannot be revoked through the API.</summary>
    public bool IsConfigured(string hash) => _configured.ContainsKey(hash);

    public static string NewKey() => IssuedPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The grant behind <paramref name="key"/>, or null. A key this silo does not know yet is looked up only
    /// when <paramref name="mayLookUp"/> allows it (the caller's address has lookups left); otherwise
    /// <see cref="KeyLookup.Refused"/>.</summary>
    public async Task<KeyLookup> FindAsync(string key, Func<bool> mayLookUp)
    {
        var hash = Hash(key);
        if (_configured.TryGetValue(hash, out var grant))
        {
            return new KeyLookup(grant, false);
        }

        if (_revoked.ContainsKey(hash))
        {
            return new KeyLookup(null, false);
        }

        if (_issued.TryGetValue(hash, out var known))
        {
            // A key this silo knows is checked again now and then, without the lookup limit: it may have been revoked.
            // If that check cannot be made (storage unavailable), the key goes on working for one more recheck time, and
            // after that the failure reaches the caller (a 503, as for a key not looked up before): trusted without a
            // check for ever, a key revoked elsewhere would work here for as long as the outage lasts.
            var now = clock.UtcNow;
            if (known.RecheckAt > now)
            {
                // Between checks: trusted, or, once the trust has ended with a failed check, unavailable until the next.
                return now < known.TrustedUntil ? new KeyLookup(known.Grant, false) : throw new StorageUnavailableException();
            }

            try
            {
                return new KeyLookup(await LookUpAsync(hash), false);
            }
            catch (Exception)
            {
                // Asked again a few seconds later, not on every request meanwhile (while trusted, at the latest when the
                // trust ends).
                var recheckAt = now + RecheckAfterFailure;
                var trusted = now < known.TrustedUntil;
                _issued.TryUpdate(hash, (known.Grant, trusted && recheckAt > known.TrustedUntil ? known.TrustedUntil : recheckAt, known.TrustedUntil), known);
                if (trusted)
                {
                    return new KeyLookup(known.Grant, false);
                }

                throw;
            }
        }

        // A key that is not configured and not of the issued shape was never issued: no lookup for it.
        if (!IsIssuedShape(key))
        {
            return new KeyLookup(null, false);
        }

        if (!mayLookUp())
        {
            return new KeyLookup(null, true);
        }

        return new KeyLookup(await LookUpAsync(hash), false);
    }

    private static readonly TimeSpan RecheckAfterFailure = TimeSpan.FromSeconds(5);

    private async Task<ApiKeyGrant?> LookUpAsync(string hash)
    {
        var grant = await grains.Get<IApiKeyGrain>(hash).GetAsync();
        if (grant is not null)
        {
            _issued[hash] = (grant, clock.UtcNow + _recheck, clock.UtcNow + 2 * _recheck);
        }

        // Checked after caching (Forget marks first, then removes), so a revocation here meanwhile always wins.
        if (grant is null || _revoked.ContainsKey(hash))
        {
            _issued.TryRemove(hash, out _);
            return null;
        }

        return grant;
    }

    /// <summary>What <see cref="NewKey"/> makes: <c>dom_</c> and 43 base64url characters (32 random bytes).</summary>
    private static bool IsIssuedShape(string key) =>
        key.Length == IssuedPrefix.Length + 43 && key.StartsWith(IssuedPrefix, StringComparison.Ordinal)
        && key.AsSpan(IssuedPrefix.Length).ContainsAnyExcept(Base64UrlCharacters) is false;

    private const string IssuedPrefix = "dom_";

    private static readonly System.Buffers.SearchValues<char> Base64UrlCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static Dictionary<string, ApiKeyGrant> Configured(AuthOptions options)
    {
        var keys = options.Keys.ToDictionary(k => Hash(k.Key), k => new ApiKeyGrant(k.Role, k.Scope), StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(options.OperatorKey))
        {
            keys[Hash(options.OperatorKey)] = new ApiKeyGrant(ApiRole.Operator, "");
        }

        return keys;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>What <see cref="ApiKeyStore.FindAsync"/> found; <paramref name="Refused"/>: a lookup was needed and the
/// caller's address had none left.</summary>
internal readonly record struct KeyLookup(ApiKeyGrant? Grant, bool Refused);

/// <summary>Authenticates <c>X-Api-Key</c>; answers 401 and 403 as ProblemDetails, and 429 when an address looks up
/// more unknown keys than <see cref="RateLimitOptions.KeyLookups"/> allows (each costs a grain call and a read).</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys,
    KeyLookupLimiter lookups,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";

    private TimeSpan? _lookupsRefusedFor;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[Header].ToString();
        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }

        if (key.Length > 256)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

        var lookup = await keys.FindAsync(key, () => lookups.TryAcquire(Context, out _lookupsRefusedFor));
        if (lookup.Grant is not { } grant)
        {
            return AuthenticateResult.Fail(lookup.Refused ? "Too many unknown API keys from this address." : "Unknown API key.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Role, grant.Role.ToString()), new Claim(Policies.ScopeClaim, grant.Scope)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_lookupsRefusedFor is { } wait)
        {
            Response.Headers.RetryAfter = RateLimiting.Seconds(wait);
            return WriteAsync(StatusCodes.Status429TooManyRequests, "Too many requests.", "This address sent more unknown API keys than the silo looks up; retry after the time in Retry-After.");
        }

        return WriteAsync(StatusCodes.Status401Unauthorized, "Authentication required.", $"Send a valid API key in the {Header} header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteAsync(StatusCodes.Status403Forbidden, "Forbidden.", "This API key's role or scope does not allow this request.");

    private async Task WriteAsync(int status, string title, string detail)
    {
        Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}

internal static class ApiKeyAuthenticationSetup
{
    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .Validate(o => o.OperatorKey.Length >= 16, "Auth:OperatorKey must be set to at least 16 characters.")
            .Validate(o => o.Keys.All(k => k.Key.Length >= 16 && k.Role != ApiRole.Operator && Dom.Ids.IsValid(k.Scope)), "Every Auth:Keys entry needs a key of 16+ characters, a non-operator role and a valid scope.")
            .Validate(o => o.IssuedKeyRecheckSeconds is >= 1 and <= 3_600, "Auth:IssuedKeyRecheckSeconds must be 1 to 3600.")
            .ValidateOnStart();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<KeyLookupLimiter>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Operator, p => p.RequireRole(nameof(ApiRole.Operator)))
            .AddPolicy(Policies.Channel, p => p.RequireRole(nameof(ApiRole.Channel)))
            .AddPolicy(Policies.ChannelOrOperator, p => p.RequireRole(nameof(ApiRole.Channel), nameof(ApiRole.Operator)))
            .AddPolicy(Policies.OperatorOrStore, p => p.RequireRole(nameof(ApiRole.Operator), nameof(ApiRole.Store)))
            .AddPolicy(Policies.Fulfilment, p => p.RequireRole(nameof(ApiRole.Operator), nameof(ApiRole.Store), nameof(ApiRole.Partner)))
            .AddPolicy(Policies.AnyRole, p => p.RequireRole(Enum.GetNames<ApiRole>()));
        return services;
    }
}
