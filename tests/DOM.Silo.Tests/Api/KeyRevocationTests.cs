using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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

        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(issued.Key))), issued.KeyId);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.Unauthorized, HttpStatusCode.NoContent), (revoked.StatusCode, after.StatusCode, again.StatusCode));
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden), (unknown.StatusCode, malformed.StatusCode, byChannel.StatusCode));
    }

    [Fact]
    public async Task Revoking_a_key_from_configuration_is_refused_saying_where_it_is_removed_and_it_goes_on_working()
    {
        await using var host = await SiloHost.StartAsync("Development");

        using var configured = await host.Operator().DeleteAsync($"/api/v1/api-keys/{ApiKeyStore.Hash("dev-channel-marketplace-key")}");
        using var stillWorks = await host.Client("dev-channel-marketplace-key").GetAsync("/api/v1/orders");

        // Not "unknown" (a 404 would have the operator believe it revoked): a 422 that says where it has to be removed.
        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.OK), (configured.StatusCode, stillWorks.StatusCode));
        Assert.Equal("application/problem+json", configured.Content.Headers.ContentType?.MediaType);
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
        var callsWhenOver = keyGrains.Calls;
        using var soonAfter = await channel.GetAsync("/api/v1/orders");
        var callsSoonAfter = keyGrains.Calls;
        keyGrains.Failing = false;
        time.Advance(TimeSpan.FromSeconds(6));
        using var checkedAgain = await channel.GetAsync("/api/v1/orders");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (trusted.StatusCode, checkFailed.StatusCode, stillInGrace.StatusCode));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, graceOver.StatusCode);
        Assert.Equal("application/problem+json", graceOver.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", problem, StringComparison.Ordinal);
        // Once the trust has ended, a failed check is not repeated on every request: the next few seconds answer 503 at once.
        Assert.Equal((HttpStatusCode.ServiceUnavailable, callsWhenOver), (soonAfter.StatusCode, callsSoonAfter));
        Assert.Equal(HttpStatusCode.Unauthorized, checkedAgain.StatusCode);
    }

    [Fact]
    public async Task A_key_is_listed_before_it_is_stored_and_one_revoked_from_the_list_before_it_is_stored_never_works()
    {
        var keyGrains = new FailingKeyGrains();
        await using var host = await SiloHost.StartAsync("Development", configure: builder => builder.Services
            .AddSingleton<IIncomingGrainCallFilter>(keyGrains)
            .AddSingleton<IOutgoingGrainCallFilter>(keyGrains));
        var operatorClient = host.Operator();

        // An issue whose key cannot be stored: a 503, and the key it made is listed, so it can be found and revoked.
        keyGrains.FailIssue = true;
        using var failed = await operatorClient.PostAsJsonAsync("/api/v1/api-keys", new { role = "channel", scope = "web" }, SiloHost.Json);
        keyGrains.FailIssue = false;
        var listedAfterFailure = await ListAsync(host);

        // An issue held after its key was listed and before the call that stores it is sent, while the operator revokes
        // it from the list.
        var held = keyGrains.HoldIssue();
        var issuing = operatorClient.PostAsJsonAsync("/api/v1/api-keys", new { role = "channel", scope = "web" }, SiloHost.Json);
        await held.Reached;
        var listed = (await ListAsync(host)).Single(k => !listedAfterFailure.Any(f => f.GetProperty("keyId").GetString() == k.GetProperty("keyId").GetString()));
        var keyId = listed.GetProperty("keyId").GetString()!;
        using var revoked = await operatorClient.DeleteAsync($"/api/v1/api-keys/{keyId}");
        held.Release();
        using var issued = await issuing;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Single(listedAfterFailure);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.Conflict), (revoked.StatusCode, issued.StatusCode));
        Assert.Null(await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IApiKeyGrain>(keyId).GetAsync());
    }

    private static async Task<List<JsonElement>> ListAsync(SiloHost host) =>
        [.. (await host.Operator().GetFromJsonAsync<JsonElement>("/api/v1/api-keys")).EnumerateArray()];

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
        var keys = JsonDocument.Parse(text).RootElement.EnumerateArray().ToDictionary(k => k.GetProperty("keyId").GetString()!);

        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.Forbidden, HttpStatusCode.OK), (revoked.StatusCode, byChannel.StatusCode, listed.StatusCode));
        Assert.Equal(2, keys.Count);
        Assert.Equal(("channel", "web"), (keys[second.KeyId].GetProperty("role").GetString(), keys[second.KeyId].GetProperty("scope").GetString()));
        Assert.Equal(JsonValueKind.String, keys[first.KeyId].GetProperty("revokedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, keys[second.KeyId].GetProperty("revokedAt").ValueKind);
        Assert.DoesNotContain(first.Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Key, text, StringComparison.Ordinal);
    }

    /// <summary>Fails every call to an API key's grain while <see cref="Failing"/> (and its issue while
    /// <see cref="FailIssue"/>), as an unreachable storage would, counting the calls; or holds the next issue before it
    /// is sent.</summary>
    private sealed class FailingKeyGrains : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
    {
        private Gate? _held;
        private int _calls;

        public volatile bool Failing;

        public volatile bool FailIssue;

        public int Calls => Volatile.Read(ref _calls);

        public Gate HoldIssue() => _held = new Gate();

        public Task Invoke(IIncomingGrainCallContext context)
        {
            if (context.Grain is IApiKeyGrain)
            {
                Interlocked.Increment(ref _calls);
                if (Failing || (FailIssue && context.MethodName == nameof(IApiKeyGrain.IssueAsync)))
                {
                    throw new StorageUnavailableException();
                }
            }

            return context.Invoke();
        }

        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            if (context.Grain is IApiKeyGrain && context.MethodName == nameof(IApiKeyGrain.IssueAsync) && Interlocked.Exchange(ref _held, null) is { } gate)
            {
                await gate.PassAsync();
            }

            await context.Invoke();
        }
    }

    /// <summary>One call held until the test releases it; <see cref="Reached"/> completes when it arrives.</summary>
    private sealed class Gate
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Release() => _released.TrySetResult();

        public Task PassAsync()
        {
            _reached.TrySetResult();
            return _released.Task;
        }
    }

    private static async Task<IssuedKey> IssueAsync(SiloHost host)
    {
        using var response = await host.Operator().PostAsJsonAsync("/api/v1/api-keys", new { role = "channel", scope = "web" }, SiloHost.Json);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<IssuedKey>(SiloHost.Json))!;
    }
}
