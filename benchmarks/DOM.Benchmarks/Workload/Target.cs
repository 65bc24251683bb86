namespace Dom.Benchmarks.Workload;

/// <summary>How a reservation attempt ended (errors are exceptions).</summary>
internal enum ReserveStatus
{
    Granted,

    /// <summary>Refused: the article has nothing left anywhere.</summary>
    SoldOut,

    /// <summary>Refused although units are left (lost a race with another caller); a checkout would try again.</summary>
    Retry,
}

/// <summary>One of the 32 concurrent callers of a system, with its own connection where the system has one.</summary>
internal interface ICaller : IAsyncDisposable
{
    Task<ReserveStatus> ReserveAsync(string reservationId, string sku, int customer);

    /// <summary>A store received goods: the slot's on-hand goes up by <paramref name="delta"/> to <paramref name="onHandAfter"/>.</summary>
    Task AddStockAsync(string sku, int location, int delta, int onHandAfter);

    /// <summary>A store sets a day's capacity limit.</summary>
    Task SetCapacityAsync(int location, DateOnly day, int limit);
}

/// <summary>A system under test, as one row label of the report.</summary>
internal sealed record SystemInfo(string Key, string Label, string Family)
{
    public static readonly SystemInfo Lock = new("lock", "lock (PostgreSQL FOR UPDATE)", "baseline");
    public static readonly SystemInfo Cond = new("cond", "cond (PostgreSQL conditional UPDATE)", "baseline");
    public static readonly SystemInfo MemoryInProcess = new("engine-memory-inproc", "engine · memory · in-process (not durable)", "engine-memory");
    public static readonly SystemInfo MemoryHttp = new("engine-memory-http", "engine · memory · HTTP (not durable)", "engine-memory");
    public static readonly SystemInfo PostgresInProcess = new("engine-pg-inproc", "engine · PostgreSQL · in-process", "engine-postgres");
    public static readonly SystemInfo PostgresHttp = new("engine-pg-http", "engine · PostgreSQL · HTTP", "engine-postgres");
    public static readonly SystemInfo Ceiling = new("ceiling", "ceiling (bare grain call, decrement)", "engine-memory");

    public static readonly IReadOnlyList<SystemInfo> All = [Lock, Cond, MemoryInProcess, MemoryHttp, PostgresInProcess, PostgresHttp, Ceiling];
}

internal interface ITarget
{
    SystemInfo System { get; }

    Task<ICaller> ConnectAsync(int caller);
}
