using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Dom.Silo.Hosting;

/// <summary>What every operation of the API may answer besides its own results, and how a caller authenticates, in the
/// OpenAPI document: a generated client learns the X-Api-Key header and the 401, 403, 429 and 503 problems from it.</summary>
internal static class OpenApiAnswers
{
    private const string Scheme = "ApiKey";

    public static OpenApiOptions AddApiAnswers(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = Dom.Silo.Api.ApiKeyAuthenticationHandler.Header,
                Description = "A key with a role (operator, channel, store, partner) and a scope; see the README.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            operation.Responses ??= [];
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] }];
                Add(operation, "401", "No key, or a key that is unknown or revoked.");
                Add(operation, "403", "The key's role or scope may not do this.");
                Add(operation, "429", "The key's rate limit is reached; retry after the Retry-After header's seconds.");
            }

            if (context.Description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true)
            {
                Add(operation, "503", "Storage is unavailable; nothing was changed. Retry with the same id.");
            }

            return Task.CompletedTask;
        });
        return options;
    }

    private static void Add(OpenApiOperation operation, string status, string description)
    {
        if (!operation.Responses!.ContainsKey(status))
        {
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() },
            };
        }
    }
}
