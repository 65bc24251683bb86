using Dom.Customers;
using Dom.Grains.Hosting;

namespace Dom.Silo.Api;

public sealed record TierBody(CustomerTier? Tier);

public static class CustomersApi
{
    public static RouteGroupBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/customers").WithTags("Customers");
        api.MapGet("/{customerId}", GetAsync).RequireAuthorization(Policies.ChannelOrOperator);
        api.MapPut("/{customerId}/tier", SetTierAsync).RequireAuthorization(Policies.Operator);
        return api;
    }

    private static async Task<Results<Ok<CustomerView>, ValidationProblem, ProblemHttpResult>> GetAsync(string customerId, IGrainFactory grains)
    {
        var validation = new Validation().Id("customerId", customerId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        return await grains.Get<ICustomerGrain>(customerId).GetAsync() is { } customer ? TypedResults.Ok(customer) : Answers.NotFound($"Customer {customerId}");
    }

    private static async Task<Results<Ok<CustomerView>, ValidationProblem>> SetTierAsync(string customerId, TierBody body, IGrainFactory grains)
    {
        var validation = new Validation().Id("customerId", customerId).Required("tier", body.Tier);
        return validation.IsValid ? TypedResults.Ok(await grains.Get<ICustomerGrain>(customerId).SetTierAsync(body.Tier!.Value)) : validation.Problem();
    }
}
