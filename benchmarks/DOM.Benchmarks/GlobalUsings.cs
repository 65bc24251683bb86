global using Dom.Benchmarks.Workload;
global using Orleans;
