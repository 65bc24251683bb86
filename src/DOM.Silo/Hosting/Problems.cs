using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dom.Grains.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Orleans.Runtime;

namespace Dom.Silo.Hosting;

/// <summary>RFC 7807 everywhere: every error is a ProblemDetails with a trace id, and nothing internal (stack
/// traces, SQL, silo addresses, type names) ever reaches a client.</summary>
internal static class Problems
{
    public static IServiceCollection AddProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        return services;
    }
}

/// <summary>Maps the exceptions that can reach the edge to ProblemDetails.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, EngineMetrics metrics, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        // A grain refused to load a damaged journal stream (it may reach the edge wrapped by Orleans).
        var damaged = StorageFailures.InChain(exception, e => e is Dom.Grains.Journal.JournalDamagedException);
        var problem = exception switch
        {
            BadHttpRequestException bad => BadRequest(bad),
            _ when damaged => new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "The stored state of an item this request needs is damaged.",
                Detail = "It stays unavailable until an operator repairs it; retrying does not help. The error was logged with the trace id below.",
            },
            Dom.Grains.Journal.JournalConflictException => Unavailable("The engine is moving this item between silos; nothing was changed. Retry with the same idempotency key."),
            // Storage trouble may arrive wrapped (a grain that failed to load its state answers every waiting caller with
            // Orleans' wrapper around it) or, from code outside the guarded paths, as a driver exception: all of it is a 503.
            _ when StorageFailures.IsStorageFailure(exception) => Unavailable("Storage is unavailable; nothing was changed. Retry with the same idempotency key."),
            TimeoutException or OrleansException or SiloUnavailableException => Unavailable("The engine did not answer in time; nothing is acknowledged. Retry with the same idempotency key."),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => null,
            _ => null,
        };

        if (problem is null)
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                return true;
            }

            logger.LogError(exception, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status500InternalServerError,
                Title = "An unexpected error occurred.",
                Detail = "The error was logged with the trace id below.",
            };
        }
        else if (damaged)
        {
            logger.LogError(exception, "Damaged state for {Method} {Path}", context.Request.Method, context.Request.Path);
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            logger.LogWarning(exception, "Unavailable for {Method} {Path}", context.Request.Method, context.Request.Path);
            if (StorageFailures.IsStorageFailure(exception))
            {
                metrics.StorageUnavailable("api");
            }

            context.Response.Headers.RetryAfter = "1";
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails BadRequest(BadHttpRequestException exception)
    {
        var status = exception.StatusCode;
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            return new ProblemDetails { Status = status, Title = "The request body is too large.", Detail = $"At most {DomHost.MaxRequestBodyBytes} bytes are accepted." };
        }

        if (status == StatusCodes.Status415UnsupportedMediaType)
        {
            return new ProblemDetails { Status = status, Title = "The request body must be JSON.", Detail = "Send Content-Type: application/json." };
        }

        if (exception.InnerException is JsonException json)
        {
            // Named as the edge's own checks name fields (lines[0].quantity); "$" is the body itself.
            var field = json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "$";
            return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [JsonProblem(json)] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request body is not valid.",
            };
        }

        // A route or query value that does not bind ("?limit=abc"): named like any other field error.
        if (BindFailure().Match(exception.Message) is { Success: true } bind)
        {
            return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [bind.Groups["name"].Value] = ["The value has the wrong type or is out of range."] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is not valid.",
            };
        }

        return new ProblemDetails
        {
            Status = status is >= 400 and < 500 ? status : StatusCodes.Status400BadRequest,
            Title = "The request is not valid.",
            Detail = exception.Message.Contains("body", StringComparison.OrdinalIgnoreCase)
                ? "The request body is missing or not valid JSON."
                : "A route or query value is not valid.",
        };
    }

    /// <summary>ASP.NET Core's message for a parameter that did not bind: <c>Failed to bind parameter "int? limit" from "abc".</c></summary>
    [GeneratedRegex("""^Failed to bind parameter "(?:[^"]*[ ])?(?<name>[A-Za-z_][A-Za-z0-9_]*)" from""")]
    private static partial Regex BindFailure();

    /// <summary>A client-safe description: System.Text.Json's own messages name .NET types.</summary>
    private static string JsonProblem(JsonException exception) =>
        exception is EnumValueException named ? named.Detail
        : exception.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "Unknown member."
        : exception.Message.Contains("could not be converted", StringComparison.Ordinal) ? "The value has the wrong type or is out of range."
        : "Malformed JSON.";

    private static ProblemDetails Unavailable(string detail) => new()
    {
        Status = StatusCodes.Status503ServiceUnavailable,
        Title = "Temporarily unavailable.",
        Detail = detail,
    };
}
