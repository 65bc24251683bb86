namespace Dom.Benchmarks.Engine;

/// <summary>The ceiling: a grain call that does nothing but decrement an integer, in the same silo as the engine.</summary>
[Alias("dom.bench.ceiling")]
public interface ICeilingGrain : IGrainWithStringKey
{
    [Alias("decrement")]
    Task<int> DecrementAsync();
}

internal sealed class CeilingGrain : Grain, ICeilingGrain
{
    private int _value = int.MaxValue;

    public Task<int> DecrementAsync() => Task.FromResult(--_value);
}
