using Microsoft.Extensions.FileProviders;

namespace Dom.Silo.Hosting;

/// <summary>
/// The web pages (operator console, store page, drop-ship partner portal): static files embedded in this assembly
/// (<c>Pages/</c>), served at the root. They hold no data and need no key to load; every page signs in with an API key
/// kept in the tab's session storage and calls the API with it, so a page shows exactly what that key may see.
/// </summary>
public static class Pages
{
    /// <summary>No script, style or connection from anywhere but this host, no framing, no referrer.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static WebApplication UsePages(this WebApplication app)
    {
        var files = new ManifestEmbeddedFileProvider(typeof(Pages).Assembly, "Pages");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.ContentSecurityPolicy = ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                // A new build's pages are fetched again at once (they are small), never mixed with a cached old script.
                headers.CacheControl = "no-cache";
            },
        });
        return app;
    }
}
