namespace Dom.Benchmarks.Workload;

/// <summary>One oversell or loss check; any failed check fails the run.</summary>
internal sealed record Check(string Name, bool Passed, string Detail);
