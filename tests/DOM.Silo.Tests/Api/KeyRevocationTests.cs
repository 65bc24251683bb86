using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Dom.Access;
using Dom.Silo.Api;
using Dom.Silo.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Dom.Silo.Tests.Api;

/// <summary>An issued key can be revoked: at once on the silo that revoked it, within the recheck time on the others.</summary>
public class KeyRevocationTests
{
    [Fact]
    public async Task A_revoked_key_is_refused_at_once_and_revoking_is_idempotent()
    {
        await using var host = await SiloHost.StartAsync("Development");
        var issued = await IssueAsync(host);
        var channel = host.Client(issued.Key);

        using var before = await channel.GetAsync("/api/v1/orders");
        using var revoked = await host.Operator().DeleteAsync($"/api/v1/api-keys/{issued.KeyId}");
        using var after = await channel.GetAsync("/api/v1/orders");
        using var again = await host.Operator().DeleteAsync($"/api/v1/api-keys/{issued.KeyId.ToLowerInvariant()}");
        using var unknown = await host.Operator().DeleteAsync($"/api/v1/api-keys/{new string('A', 64)}");
        using var malformed = await host.Operator().DeleteAsync("/api/v1/api-keys/not-a-key-id");
        using var byChannel = await host.Client("dev-channel-webshop-key").DeleteAsync($"/api/v1/api-keys/{issued.KeyId}");
        using var configured = await host.Operator().DeleteAsync($"/api/v1/api-keys/{ApiKeyStore.Hash("dev-channel-marketplace-key")}");
        using var configuredStillWorks = await host.Client("dev-channel-marketplace-key").GetAsync("/api/v1/orders");

        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(issued.Key))), issued.KeyId);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.Unauthorized, HttpStatusCode.NoContent), (revoked.StatusCode, after.StatusCode, again.StatusCode));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden), (unknown.StatusCode, malformed.StatusCode, byChannel.StatusCode));
        // A key from configuration is not "unknown": the answer says where it has to be removed, and it goes on working.
        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.OK), (configured.StatusCode, configuredStillWorks.StatusCode));
        Assert.Contains("Auth:Keys", await configured.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_revoked_through_another_silo_stops_working_here_once_the_recheck_time_has_passed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await SiloHost.StartAsync("Development", new Dictionary<string, string> { ["Auth:IssuedKeyRecheckSeconds"] = "30" }, time);
        var issued = await IssueAsync(host);
        var channel = host.Client(issued.Key);
        using var trusted = await channel.GetAsync("/api/v1/orders");

        // As another silo revokes it: in the key's grain, without this silo's cache hearing of it.
        await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IApiKeyGrain>(issued.KeyId).RevokeAsync();
        using var stillCached = await channel.GetAsync("/api/v1/orders");
        time.Advance(TimeSpan.FromSeconds(31));
        using var rechecked = await channel.GetAsync("/api/v1/orders");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Unauthorized), (trusted.StatusCode, stillCached.StatusCode, rechecked.StatusCode));
    }

    [Fact]
    public async Task A_key_this_silo_cannot_check_works_for_one_more_recheck_time_then_answers_503_until_a_check_succeeds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var keyGrains = new FailingKeyGrains();
        await using var host = await SiloHost.StartAsync(
            "Development",
            new Dictionary<string, string> { ["Auth:IssuedKeyRecheckSeconds"] = "30" },
            time,
            builder => builder.Services.AddSingleton<IIncomingGrainCallFilter>(keyGrains));
        var issued = await IssueAsync(host);
        var channel = host.Client(issued.Key);
        using var trusted = await channel.GetAsync("/api/v1/orders");

        // Revoked through another silo, and this silo's checks fail from now on (storage unavailable).
        await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IApiKeyGrain>(issued.KeyId).RevokeAsync();
        keyGrains.Failing = true;
        time.Advance(TimeSpan.FromSeconds(31));
        using var checkFailed = await channel.GetAsync("/api/v1/orders");
        time.Advance(TimeSpan.FromSeconds(28));
        using var stillInGrace = await channel.GetAsync("/api/v1/orders");
        time.Advance(TimeSpan.FromSeconds(2));
        using var graceOver = await channel.GetAsync("/api/v1/orders");
        var problem = await graceOver.Content.ReadAsStringAsync();
        keyGrains.Failing = false;
        time.Advance(TimeSpan.FromSeconds(6));
        using var checkedAgain = await channel.GetAsync("/api/v1/orders");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (trusted.StatusCode, checkFailed.StatusCode, stillInGrace.StatusCode));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, graceOver.StatusCode);
        Assert.Equal("application/problem+json", graceOver.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", problem, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, checkedAgain.StatusCode);
    }

    [Fact]
    public async Task Issued_keys_are_listed_by_id_with_role_scope_and_revocation_and_never_with_the_key()
    {
        await using var host = await SiloHost.StartAsync("Development");
        var first = await IssueAsync(host);
        var second = await IssueAsync(host);
        using var revoked = await host.Operator().DeleteAsync($"/api/v1/api-keys/{first.KeyId}");
        using var byChannel = await host.Client(second.Key).GetAsync("/api/v1/api-keys");

        using var listed = await host.Operator().GetAsync("/api/v1/api-keys");
        var text = await listed.Content.ReadAsStringAsync();
        var keys = System.Text.Json.JsonDocument.Parse(text).RootElement.EnumerateArray().ToDictionary(k => k.GetProperty("keyId").GetString()!);

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.Forbidden, HttpStatusCode.OK), (revoked.StatusCode, byChannel.StatusCode, listed.StatusCode));
        Assert.Equal(2, keys.Count);
        Assert.Equal(("channel", "web"), (keys[second.KeyId].GetProperty("role").GetString(), keys[second.KeyId].GetProperty("scope").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.String, keys[first.KeyId].GetProperty("revokedAt").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, keys[second.KeyId].GetProperty("revokedAt").ValueKind);
        Assert.DoesNotContain(first.Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Key, text, StringComparison.Ordinal);
    }

    /// <summary>Fails every call to an API key's grain while <see cref="Failing"/>, as an unreachable storage would.</summary>
    private sealed class FailingKeyGrains : IIncomingGrainCallFilter
    {
        public volatile bool Failing;

        public Task Invoke(IIncomingGrainCallContext context) =>
            Failing && context.Grain is IApiKeyGrain ? throw new StorageUnavailableException() : context.Invoke();
    }

    private static async Task<IssuedKey> IssueAsync(SiloHost host)
    {
        using var response = await host.Operator().PostAsJsonAsync("/api/v1/api-keys", new { role = "channel", scope = "web" }, SiloHost.Json);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<IssuedKey>(SiloHost.Json))!;
    }
}
