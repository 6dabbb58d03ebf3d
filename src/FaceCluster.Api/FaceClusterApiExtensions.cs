using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using FaceCluster.Grains;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace FaceCluster.Api;

/// <summary>
/// The FaceCluster HTTP API: <c>builder.Services.AddFaceClusterApi(configuration)</c>, then
/// <c>app.MapFaceClusterApi()</c>. Needs an <see cref="IClusterClient"/> in the services (a co-hosted silo, an Orleans
/// client, or <see cref="FaceClusterApiHost"/>).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>POST /api/runs</c>, <c>GET /api/runs</c>, <c>GET /api/runs/{id}</c>, <c>GET /api/runs/{id}/results</c>,
/// <c>GET /api/runs/{id}/report</c>, <c>DELETE /api/runs/{id}</c> and <c>/dashboard</c> need
/// <c>Authorization: Bearer TOKEN</c>.</item>
/// <item><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (unless <see cref="FaceClusterApiOptions.MetricsRequireToken"/>)
/// need none.</item>
/// <item>The runs page, <c>GET /</c> (also <c>/runs.html</c>) with <c>/ui/app.js</c> and <c>/ui/app.css</c>, needs none:
/// it is a static shell without data, served with a strict Content-Security-Policy, <c>nosniff</c>,
/// <c>Referrer-Policy: no-referrer</c> and <c>Cache-Control: no-store</c>. It asks for a token once, keeps it in the
/// tab's <c>sessionStorage</c> and reads every run through the endpoints above with the bearer header; a report is
/// fetched the same way and shown from a <c>blob:</c> URL in a sandboxed frame.</item>
/// </list>
/// </remarks>
public static class FaceClusterApiExtensions
{
    /// <summary>The authorization policy of the API (an authenticated bearer token).</summary>
    public const string Policy = "FaceClusterApi";

    /// <summary>Where the Orleans Dashboard is mounted.</summary>
    public const string DashboardPath = "/dashboard";

    /// <summary>JSON of the API: snake_case, enums as lower-case strings.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    /// <summary>
    /// Adds the API's services: options from <c>FaceCluster:Api</c> (data root from <c>FaceCluster:DataRoot</c>), the
    /// bearer tokens (checked at once: no tokens and no <c>AllowAnonymous</c> throws), authentication and authorization,
    /// and a logger factory that masks tokens in every log record (it replaces the application's
    /// <see cref="ILoggerFactory"/>; logging providers may be added before or after).
    /// </summary>
    public static IServiceCollection AddFaceClusterApi(this IServiceCollection services, IConfiguration configuration, Action<FaceClusterApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = ReadOptions(configuration);
        configure?.Invoke(options);
        if (string.IsNullOrWhiteSpace(options.DataRoot) || !Path.IsPathRooted(options.DataRoot))
        {
            throw new InvalidOperationException("The FaceCluster HTTP API needs an absolute data root (FaceCluster:DataRoot).");
        }

        if (!System.Net.IPAddress.TryParse(options.ListenAddress, out _))
        {
            throw new InvalidOperationException($"{FaceClusterApiOptions.SectionName}:ListenAddress must be an IP address, got '{ApiText.Bounded(options.ListenAddress)}'.");
        }

        var entries = ApiTokens.Entries(options, Environment.GetEnvironmentVariable(FaceClusterApiOptions.TokensVariable));
        var redactor = new LogRedactor(entries.Select(t => t.Token));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.AddSingleton(new ApiTokens(entries, options.AllowAnonymous));
        services.AddSingleton(redactor);

        // Every logger of the application goes through the redactor: ASP.NET Core logs request URLs (query strings
        // included) before any middleware could clean them.
        services.AddLogging();
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(provider => new RedactingLoggerFactory(
            new LoggerFactory(
                provider.GetServices<ILoggerProvider>(),
                provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
                provider.GetService<IOptions<LoggerFactoryOptions>>(),
                provider.GetService<IExternalScopeProvider>()),
            redactor)));
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, policy => policy.AddAuthenticationSchemes(BearerTokenHandler.SchemeName).RequireAuthenticatedUser());
        return services;
    }

    /// <summary>The API's settings from <c>FaceCluster:Api</c> (the data root from <c>FaceCluster:DataRoot</c> unless set there).</summary>
    internal static FaceClusterApiOptions ReadOptions(IConfiguration configuration)
    {
        var options = new FaceClusterApiOptions();
        configuration.GetSection(FaceClusterApiOptions.SectionName).Bind(options);
        if (string.IsNullOrEmpty(options.DataRoot))
        {
            options.DataRoot = configuration["FaceCluster:DataRoot"] ?? string.Empty;
        }

        return options;
    }

    /// <summary>
    /// Maps the endpoints (see <see cref="FaceClusterApiExtensions"/>), the Orleans Dashboard at <c>/dashboard</c> (unless
    /// <see cref="FaceClusterApiOptions.Dashboard"/> is false) and the scrape endpoint as configured.
    /// </summary>
    /// <exception cref="InvalidOperationException">The dashboard is on but its services are missing from the application.</exception>
    public static WebApplication MapFaceClusterApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<FaceClusterApiOptions>>().Value;
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", ReadyAsync);
        RunsPage.Map(app);

        var runs = app.MapGroup("/api/runs").RequireAuthorization(Policy);
        runs.MapPost("/", SubmitAsync);
        runs.MapGet("/", ListAsync);
        runs.MapGet("/{id}", StatusAsync);
        runs.MapGet("/{id}/results", ResultsAsync);
        runs.MapGet("/{id}/report", ReportAsync);
        runs.MapDelete("/{id}", CancelAsync);

        if (options.Metrics)
        {
            var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
            if (options.MetricsRequireToken)
            {
                metrics.RequireAuthorization(Policy);
            }
        }

        if (options.Dashboard)
        {
            MapDashboard(app);
        }

        return app;
    }

    /// <summary>The Orleans Dashboard (page, assets and JSON) at <c>/dashboard</c>, every endpoint behind the bearer tokens.</summary>
    private static void MapDashboard(WebApplication app)
    {
        RouteGroupBuilder dashboard;
        try
        {
            dashboard = app.MapOrleansDashboard(routePrefix: DashboardPath);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(
                $"{FaceClusterApiOptions.SectionName}:Dashboard is on, but the Orleans Dashboard's services are missing: add them with silo.AddDashboard() "
                + $"on a co-hosted silo (or use {nameof(FaceClusterApiHost)}), or set {FaceClusterApiOptions.SectionName}:Dashboard=false. {e.Message}",
                e);
        }

        dashboard.RequireAuthorization(Policy);
    }

    /// <summary>
    /// Ready when the cluster has an active silo, its grain storage answers a read (<see cref="IStorageProbeGrain"/>: a
    /// real read, not an answer from memory) and the run registry answers, each within
    /// <see cref="FaceClusterApiOptions.ReadyTimeout"/>; otherwise 503 with every failing check, in one line.
    /// </summary>
    private static async Task<IResult> ReadyAsync(IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        var timeout = options.Value.ReadyTimeout;
        // Orleans answers the active silos from its membership table (in Redis for a Redis cluster): a hung table hangs it.
        var silos = Check("cluster membership", async () =>
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).ConfigureAwait(false);
            return hosts.Count == 0 ? "no active silo" : null;
        });
        var storage = Check("grain storage", async () =>
        {
            await client.GetGrain<IStorageProbeGrain>(0).Probe().ConfigureAwait(false);
            return null;
        });
        var registry = Check("the run registry", async () =>
        {
            await client.GetGrain<IRunRegistryGrain>(0).List().ConfigureAwait(false);
            return null;
        });

        var problems = (await Task.WhenAll(silos, storage, registry).ConfigureAwait(false)).OfType<string>().ToList();
        return problems.Count == 0
            ? Results.Text("ready")
            : Results.Text($"not ready: {string.Join("; ", problems)}", statusCode: StatusCodes.Status503ServiceUnavailable);

        async Task<string?> Check(string what, Func<Task<string?>> check)
        {
            try
            {
                return await check().WaitAsync(timeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return $"{what} did not answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The type only: messages may hold connection strings.
                return $"{what} failed ({e.GetType().Name})";
            }
        }
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IClusterClient client, ApiTokens tokens, IOptions<FaceClusterApiOptions> options)
    {
        RunSubmission submission;
        RunRequest request;
        try
        {
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            submission = RunSubmission.Parse(body);
            request = submission.ToRequest(options.Value.DataRoot, Submitter(context.User, tokens));
        }
        catch (JsonException e)
        {
            return Problem("the body must be a JSON object of a run (kind, out, parameters): " + e.Message, options.Value.DataRoot);
        }
        catch (ArgumentException e)
        {
            return Problem(e.Message, options.Value.DataRoot);
        }

        var runId = submission.RunId ?? string.Create(CultureInfo.InvariantCulture, $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}")[..32];
        RunStatus status;
        try
        {
            status = await client.GetGrain<IRunCoordinatorGrain>(runId).Start(request).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // The silo's refusal may name inputs by their full path: answered relative to the data root.
            return Problem(e.Message, options.Value.DataRoot);
        }

        context.Response.Headers.Location = $"/api/runs/{runId}";
        return Results.Json(StatusJson(status), Json, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// Every run of the registry with its status; a coordinator that does not answer within
    /// <see cref="FaceClusterApiOptions.StatusTimeout"/> (its silo busy or gone, its storage hung) is listed as
    /// <c>{"run_id": ..., "state": "unresponsive"}</c> rather than holding up the whole listing.
    /// </summary>
    private static async Task<IResult> ListAsync(IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        var timeout = options.Value.StatusTimeout;
        IReadOnlyList<string> ids;
        try
        {
            ids = await client.GetGrain<IRunRegistryGrain>(0).List().AsTask().WaitAsync(options.Value.ReadyTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Results.Json(new JsonObject { ["error"] = "the run registry did not answer" }, Json, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var statuses = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                var status = await client.GetGrain<IRunCoordinatorGrain>(id).GetStatus().AsTask().WaitAsync(timeout).ConfigureAwait(false);
                return WithReport(StatusJson(status), status, options.Value.DataRoot);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                return new JsonObject { ["run_id"] = id, ["state"] = "unresponsive" };
            }
        })).ConfigureAwait(false);
        return Results.Json(new JsonObject { ["runs"] = new JsonArray([.. statuses]) }, Json);
    }

    private static async Task<IResult> StatusAsync(string id, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        if (!RunPaths.IsValidRunId(id))
        {
            return NotFound(id);
        }

        var status = await client.GetGrain<IRunCoordinatorGrain>(id).GetStatus().ConfigureAwait(false);
        return IsUnknown(status)
            ? NotFound(id)
            : Results.Json(WithReport(StatusJson(status), status, options.Value.DataRoot), Json);
    }

    private static async Task<IResult> ResultsAsync(string id, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        if (!RunPaths.IsValidRunId(id))
        {
            return NotFound(id);
        }

        var status = await client.GetGrain<IRunCoordinatorGrain>(id).GetStatus().ConfigureAwait(false);
        if (IsUnknown(status))
        {
            return NotFound(id);
        }

        if (status.State != RunState.Completed)
        {
            return Results.Json(
                new JsonObject { ["error"] = $"run {id} is {Name(status.State)}, not completed", ["status"] = StatusJson(status) },
                Json,
                statusCode: StatusCodes.Status409Conflict);
        }

        var folder = DataRootGuard.Check(options.Value.DataRoot, status.OutputPath, "out");
        if (!Directory.Exists(folder))
        {
            return Results.Json(new JsonObject { ["error"] = $"the output folder of run {id} is gone" }, Json, statusCode: StatusCodes.Status410Gone);
        }

        var files = new JsonArray();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            files.Add(new JsonObject
            {
                ["path"] = Path.GetRelativePath(folder, file).Replace('\\', '/'),
                ["bytes"] = new FileInfo(file).Length,
            });
        }

        var summaryPath = Path.Combine(folder, "summary.json");
        JsonNode? summary = null;
        if (File.Exists(summaryPath))
        {
            await using var stream = File.OpenRead(summaryPath);
            summary = await JsonNode.ParseAsync(stream).ConfigureAwait(false);
        }

        return Results.Json(
            new JsonObject { ["run_id"] = id, ["out"] = status.OutputPath, ["files"] = files, ["summary"] = summary },
            Json);
    }

    /// <summary>
    /// The run's <c>report.html</c> (from its output folder, whatever the run's state: a pipeline writes it last), with a
    /// policy that lets its inline styles and embedded images work and blocks every request; 404 naming what is missing.
    /// </summary>
    private static async Task<IResult> ReportAsync(string id, HttpContext context, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        if (!RunPaths.IsValidRunId(id))
        {
            return NotFound(id);
        }

        var status = await client.GetGrain<IRunCoordinatorGrain>(id).GetStatus().ConfigureAwait(false);
        return IsUnknown(status)
            ? NotFound(id)
            : RunsPage.Report(context, id, options.Value.DataRoot, status.OutputPath);
    }

    private static async Task<IResult> CancelAsync(string id, ClaimsPrincipal user, IClusterClient client, ApiTokens tokens)
    {
        if (!RunPaths.IsValidRunId(id))
        {
            return NotFound(id);
        }

        var coordinator = client.GetGrain<IRunCoordinatorGrain>(id);
        var status = await coordinator.GetStatus().ConfigureAwait(false);
        if (IsUnknown(status))
        {
            return NotFound(id);
        }

        if (!MayCancel(user, status, tokens))
        {
            return Results.Json(
                new JsonObject { ["error"] = $"run {id} was submitted by another token: only its submitter or an admin token may cancel it" },
                Json,
                statusCode: StatusCodes.Status403Forbidden);
        }

        return Results.Json(StatusJson(await coordinator.Cancel().ConfigureAwait(false)), Json);
    }

    /// <summary>The name of the token of <paramref name="user"/>, recorded with the run; null for an anonymous API.</summary>
    private static string? Submitter(ClaimsPrincipal user, ApiTokens tokens) => tokens.Anonymous ? null : user.Identity?.Name;

    /// <summary>An anonymous API lets everyone cancel; otherwise the submitter's token or an admin token.</summary>
    private static bool MayCancel(ClaimsPrincipal user, RunStatus status, ApiTokens tokens) =>
        tokens.Anonymous
        || user.HasClaim(ApiTokens.AdminClaim, "true")
        || (status.Submitter is not null && string.Equals(status.Submitter, user.Identity?.Name, StringComparison.Ordinal));

    /// <summary>The coordinator of an unknown id answers with an error and no stage.</summary>
    private static bool IsUnknown(RunStatus status) => status.Stage.Length == 0 && status.OutputPath.Length == 0;

    /// <summary>The JSON of a status: state, stage, progress, ETA.</summary>
    public static JsonObject StatusJson(RunStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new JsonObject
        {
            ["run_id"] = status.RunId,
            ["state"] = Name(status.State),
            ["stage"] = status.Stage,
            ["completed_units"] = status.CompletedUnits,
            ["total_units"] = status.TotalUnits,
            ["progress"] = status.TotalUnits > 0 ? Math.Round((double)status.CompletedUnits / status.TotalUnits, 4) : null,
            ["eta_seconds"] = status.EtaSeconds is { } eta ? Math.Round(eta, 1) : null,
            ["submitted_at"] = status.SubmittedAt,
            ["finished_at"] = status.FinishedAt,
            ["error"] = status.Error,
            ["out"] = status.OutputPath,
            ["kind"] = status.Kind,
            ["submitter"] = status.Submitter,
            ["detail"] = status.Detail,
            ["stages"] = new JsonArray([.. (status.Stages ?? []).Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["state"] = s.State,
                ["completed_units"] = s.CompletedUnits,
                ["total_units"] = s.TotalUnits,
                ["seconds"] = s.Seconds,
                ["detail"] = s.Detail,
            })]),
        };
    }

    /// <summary><paramref name="json"/> with <c>report</c>: whether the run's output folder holds a <c>report.html</c> to serve.</summary>
    private static JsonObject WithReport(JsonObject json, RunStatus status, string dataRoot)
    {
        json["report"] = RunsPage.HasReport(dataRoot, status.OutputPath);
        return json;
    }

    private static string Name(RunState state) => state.ToString().ToLowerInvariant();

    private static IResult NotFound(string id) =>
        Results.Json(new JsonObject { ["error"] = $"no run with id '{ApiText.Bounded(id)}'" }, Json, statusCode: StatusCodes.Status404NotFound);

    /// <summary>A 400 with <paramref name="message"/> on one line, bounded, without the data root's absolute path.</summary>
    internal static IResult Problem(string message, string? dataRoot = null) =>
        Results.Json(new JsonObject { ["error"] = ApiText.Sanitize(message, dataRoot) }, Json, statusCode: StatusCodes.Status400BadRequest);

    private static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        json.MakeReadOnly(populateMissingResolver: true);
        return json;
    }
}
