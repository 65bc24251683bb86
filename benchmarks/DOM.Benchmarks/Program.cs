using Dom.Benchmarks;
using Dom.Benchmarks.Reporting;

const string Usage = "usage: DOM.Benchmarks [--smoke] [--postgres <admin connection string>] [--out DIR] [--duration S] [--warmup S] [--fixed-warmup] [--callers N] [--articles N] "
    + "[--sell-out-articles N] [--sell-out-units N] [--systems lock,cond,engine-memory,engine-postgres] [--scenarios uniform,hot,sell-out,mixed] [--olist DIR | --no-olist] [--seed N] [--repeat N | --one-process]"
    + "\n       DOM.Benchmarks --render benchmarks/results/latest.json   (writes latest.md and latest.svg again from the JSON)";
if (args.Contains("--help"))
{
    Console.WriteLine(Usage);
    return 0;
}

if (Array.IndexOf(args, "--render") is var render and >= 0 && render + 1 < args.Length)
{
    Console.WriteLine(ReportWriter.ConsoleTable(await ReportWriter.RenderAgainAsync(args[render + 1])));
    return 0;
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (Exception exception) when (exception is ArgumentException or FormatException)
{
    await Console.Error.WriteLineAsync(exception.Message);
    await Console.Error.WriteLineAsync(Usage);
    return 2;
}

var report = options.OneProcess
    ? await BenchmarkRunner.RunAsync(options, line => Console.WriteLine(line))
    : await IsolatedRunner.RunAsync(options, args, line => Console.WriteLine(line));
Console.WriteLine();
Console.WriteLine(ReportWriter.ConsoleTable(report));
await ReportWriter.WriteAsync(report, options.OutputDirectory);
Console.WriteLine($"written: {Path.GetFullPath(Path.Combine(options.OutputDirectory, "latest.md"))} (.json, .svg)");
return report.Passed ? 0 : 1;
