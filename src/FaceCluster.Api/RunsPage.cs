using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FaceCluster.Api;

/// <summary>
/// The runs page: a static shell at <c>/</c> (and <c>/runs.html</c>) with its script and styles at <c>/ui/app.js</c>
/// and <c>/ui/app.css</c>, embedded in this assembly. The shell carries no data and needs no token; the page asks for
/// the token and reads everything through the authenticated API.
/// </summary>
internal static class RunsPage
{
    /// <summary>
    /// The page's policy: its own script and styles only, API calls to its own origin, reports in <c>blob:</c> frames.
    /// Inline styles are allowed because a <c>blob:</c> document inherits this policy and the report carries its
    /// styles inline; scripts stay <c>'self'</c> only, so neither the page nor a report runs inline script.
    /// </summary>
    public const string PageCsp =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
        + "frame-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>A report opened directly: its inline styles, embedded images and fonts, and no network at all.</summary>
    public const string ReportCsp =
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

    private static readonly FrozenDictionary<string, Asset> Assets = new Dictionary<string, Asset>(StringComparer.Ordinal)
    {
        ["/"] = Load("index.html", "text/html; charset=utf-8"),
        ["/runs.html"] = Load("index.html", "text/html; charset=utf-8"),
        ["/ui/app.js"] = Load("app.js", "text/javascript; charset=utf-8"),
        ["/ui/app.css"] = Load("app.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Maps the page and its assets, without a token.</summary>
    public static void Map(WebApplication app)
    {
        foreach (var (path, asset) in Assets)
        {
            app.MapGet(path, (HttpContext context) =>
            {
                SetHeaders(context.Response, PageCsp);
                return Results.Bytes(asset.Content, asset.ContentType);
            });
        }
    }

    /// <summary>Whether <c>GET /api/runs/{id}/report</c> would serve a report: <c>report.html</c> in the output folder, inside the data root.</summary>
    public static bool HasReport(string dataRoot, string outputPath)
    {
        if (string.IsNullOrEmpty(outputPath))
        {
            return false;
        }

        try
        {
            return File.Exists(DataRootGuard.Check(dataRoot, Path.Combine(outputPath, "report.html"), "report"));
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// The <c>report.html</c> of a run's output folder, or 404 naming what is missing. The report is read through
    /// <see cref="DataRootGuard"/>, so a link that leaves the data root is refused like a request path.
    /// </summary>
    public static IResult Report(HttpContext context, string runId, string dataRoot, string outputPath)
    {
        string file;
        try
        {
            file = DataRootGuard.Check(dataRoot, Path.Combine(outputPath, "report.html"), "report");
        }
        catch (ArgumentException e)
        {
            return Missing(ApiText.Sanitize(e.Message, dataRoot));
        }

        if (!File.Exists(file))
        {
            return Missing($"run {runId} has no report yet: report.html is missing from its output folder ({ApiText.Bounded(outputPath)})");
        }

        SetHeaders(context.Response, ReportCsp);
        return Results.File(file, "text/html; charset=utf-8");

        static IResult Missing(string message) =>
            Results.Json(new JsonObject { ["error"] = message }, FaceClusterApiExtensions.Json, statusCode: StatusCodes.Status404NotFound);
    }

    /// <summary>The headers of everything this page serves: the policy, no sniffing, no referrer, no caching.</summary>
    private static void SetHeaders(HttpResponse response, string csp)
    {
        response.Headers.ContentSecurityPolicy = csp;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(RunsPage).Assembly.GetManifestResourceStream($"FaceCluster.Api.Ui.{name}")
            ?? throw new InvalidOperationException($"The runs page's resource {name} is missing from {typeof(RunsPage).Assembly.GetName().Name}.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return new Asset(buffer.ToArray(), contentType);
    }

    private sealed record Asset(byte[] Content, string ContentType);
}
