using System.Security.Claims;
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

    /// <summary>Operators see the whole customer; a channel sees the customer only if they ordered through it, with its
    /// own orders and the contact details those gave (customer ids are shared by every channel of the retailer).</summary>
    private static async Task<Results<Ok<CustomerView>, ValidationProblem, ProblemHttpResult>> GetAsync(string customerId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var validation = new Validation().Id("customerId", customerId);
        if (!validation.IsValid)
        {
            return validation.Problem();
        }

        var grain = grains.Get<ICustomerGrain>(customerId);
        var customer = user.IsOperator() ? await grain.GetAsync() : await grain.GetForChannelAsync(user.Scope());
        return customer is not null ? TypedResults.Ok(customer) : Answers.NotFound($"Customer {customerId}");
    }

    private static async Task<Results<Ok<CustomerView>, ValidationProblem>> SetTierAsync(string customerId, TierBody body, IGrainFactory grains)
    {
        var validation = new Validation().Id("customerId", customerId).Required("tier", body.Tier);
        return validation.IsValid ? TypedResults.Ok(await grains.Get<ICustomerGrain>(customerId).SetTierAsync(body.Tier!.Value)) : validation.Problem();
    }
}
