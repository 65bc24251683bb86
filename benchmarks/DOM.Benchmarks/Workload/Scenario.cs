namespace Dom.Benchmarks.Workload;

/// <summary>The load shapes of issue 3.</summary>
internal enum Scenario
{
    /// <summary>Random article of many, at many locations, quantity 1.</summary>
    Uniform,

    /// <summary>Every caller on one article at every location: a flash sale.</summary>
    Hot,

    /// <summary>Finite stock reserved until none is left: units granted must equal units on hand.</summary>
    SellOut,

    /// <summary>Reservations plus live capacity and stock updates from the stores.</summary>
    Mixed,
}

internal static class ScenarioNames
{
    public static string Name(this Scenario scenario) => scenario switch
    {
        Scenario.Uniform => "uniform",
        Scenario.Hot => "hot",
        Scenario.SellOut => "sell-out",
        Scenario.Mixed => "mixed",
        _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
    };
}
