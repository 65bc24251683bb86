using Dom.Grains.Hosting;

namespace Dom.Grains.Tests;

/// <summary>Calls in flight shared by key: whoever asks while one is in flight joins it; a finished call is never
/// handed out again.</summary>
public class SharedCallsTests
{
    /// <summary>A call for each key asked, answered when the test says so.</summary>
    private sealed class Calls
    {
        public List<(string Key, TaskCompletionSource<int> Answer)> Made { get; } = [];

        public Task<int> CallAsync(string key)
        {
            var answer = new TaskCompletionSource<int>();
            Made.Add((key, answer));
            return answer.Task;
        }
    }

    [Fact]
    public async Task Askers_of_one_key_while_its_call_is_in_flight_share_that_call_and_its_answer()
    {
        var (shared, calls) = (new SharedCalls<string, int>(StringComparer.Ordinal), new Calls());

        var first = shared.GetAsync("sku-1", calls.CallAsync);
        var second = shared.GetAsync("sku-1", calls.CallAsync);
        var other = shared.GetAsync("sku-2", calls.CallAsync);

        Assert.Equal(new[] { "sku-1", "sku-2" }, calls.Made.Select(call => call.Key));
        Assert.Same(first, second);
        Assert.False(first.IsCompleted);
        calls.Made[0].Answer.SetResult(7);
        calls.Made[1].Answer.SetResult(9);
        Assert.Equal((7, 7, 9), (await first, await second, await other));
        Assert.Equal(0, shared.Count);
    }

    [Fact]
    public async Task A_call_that_answered_is_not_reused_the_next_asker_makes_a_new_one()
    {
        var (shared, calls) = (new SharedCalls<string, int>(StringComparer.Ordinal), new Calls());
        var first = shared.GetAsync("sku-1", calls.CallAsync);
        calls.Made[0].Answer.SetResult(7);
        Assert.Equal(7, await first);

        var next = shared.GetAsync("sku-1", calls.CallAsync);

        Assert.Equal(2, calls.Made.Count);
        calls.Made[1].Answer.SetResult(8);
        Assert.Equal(8, await next);
    }

    [Fact]
    public async Task A_failed_call_fails_everyone_who_joined_it_and_the_next_asker_calls_again()
    {
        var (shared, calls) = (new SharedCalls<string, int>(StringComparer.Ordinal), new Calls());
        var first = shared.GetAsync("sku-1", calls.CallAsync);
        var joined = shared.GetAsync("sku-1", calls.CallAsync);

        calls.Made[0].Answer.SetException(new TimeoutException("no answer"));

        await Assert.ThrowsAsync<TimeoutException>(() => first);
        await Assert.ThrowsAsync<TimeoutException>(() => joined);
        var retry = shared.GetAsync("sku-1", calls.CallAsync);
        Assert.Equal(2, calls.Made.Count);
        calls.Made[1].Answer.SetResult(3);
        Assert.Equal(3, await retry);
    }

    [Fact]
    public async Task A_call_that_throws_before_its_task_fails_its_asker_and_is_not_kept()
    {
        var shared = new SharedCalls<string, int>(StringComparer.Ordinal);

        var failed = shared.GetAsync("sku-1", _ => throw new InvalidOperationException("bad key"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failed);
        Assert.Equal(0, shared.Count);
        Assert.Equal(5, await shared.GetAsync("sku-1", _ => Task.FromResult(5)));
    }

    [Fact]
    public async Task Whoever_asks_as_soon_as_the_answer_arrives_makes_a_new_call()
    {
        var (shared, calls) = (new SharedCalls<string, int>(StringComparer.Ordinal), new Calls());
        var first = shared.GetAsync("sku-1", calls.CallAsync);
        var askedAgain = first.ContinueWith(_ => shared.GetAsync("sku-1", calls.CallAsync), TaskContinuationOptions.ExecuteSynchronously);

        calls.Made[0].Answer.SetResult(7);
        var again = await askedAgain;

        Assert.NotSame(first, again);
        Assert.Equal(2, calls.Made.Count);
        calls.Made[1].Answer.SetResult(8);
        Assert.Equal(8, await again);
    }

    [ThreadStatic]
    private static bool t_answering;

    [Fact]
    public async Task The_askers_go_on_off_the_thread_that_answered_the_call()
    {
        var (shared, calls) = (new SharedCalls<string, int>(StringComparer.Ordinal), new Calls());
        var first = shared.GetAsync("sku-1", calls.CallAsync);
        var joined = shared.GetAsync("sku-1", calls.CallAsync);
        var wentOnThere = new[] { first, joined }
            .Select(asker => asker.ContinueWith(_ => t_answering, TaskContinuationOptions.ExecuteSynchronously))
            .ToList();

        // Answered on a thread of its own (no synchronization context, as a grain call's answer arrives), where a
        // continuation may run inline unless the shared call forbids it.
        await Task.Run(() =>
        {
            t_answering = true;
            try
            {
                calls.Made[0].Answer.SetResult(7);
            }
            finally
            {
                t_answering = false;
            }
        });

        Assert.Equal(new[] { false, false }, await Task.WhenAll(wentOnThere));
    }
}
