using System.Globalization;
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
/// <c>DELETE /api/runs/{id}</c> and <c>/dashboard</c> need <c>Authorization: Bearer TOKEN</c>.</item>
/// <item><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> (unless <see cref="FaceClusterApiOptions.MetricsRequireToken"/>)
/// need none.</item>
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
    /// bearer tokens (checked at once: no tokens and no <c>AllowAnonymous</c> throws), authentication and authorization.
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

        var tokens = ApiTokens.From(options, Environment.GetEnvironmentVariable(FaceClusterApiOptions.TokensVariable));
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        services.AddSingleton(tokens);
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

        var runs = app.MapGroup("/api/runs").RequireAuthorization(Policy);
        runs.MapPost("/", SubmitAsync);
        runs.MapGet("/", ListAsync);
        runs.MapGet("/{id}", StatusAsync);
        runs.MapGet("/{id}/results", ResultsAsync);
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

    private static async Task<IResult> ReadyAsync(IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        try
        {
            await client.GetGrain<IRunRegistryGrain>(0).List().AsTask().WaitAsync(options.Value.ReadyTimeout).ConfigureAwait(false);
            return Results.Text("ready");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Results.Text($"not ready: {e.GetType().Name}", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        RunSubmission submission;
        RunRequest request;
        try
        {
            var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
            submission = RunSubmission.Parse(body);
            request = submission.ToRequest(options.Value.DataRoot);
        }
        catch (JsonException e)
        {
            return Problem("the body must be a JSON object of a run (kind, out, parameters): " + OneLine(e.Message));
        }
        catch (ArgumentException e)
        {
            return Problem(e.Message);
        }

        var runId = submission.RunId ?? string.Create(CultureInfo.InvariantCulture, $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}")[..32];
        RunStatus status;
        try
        {
            status = await client.GetGrain<IRunCoordinatorGrain>(runId).Start(request).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            return Problem(e.Message);
        }

        context.Response.Headers.Location = $"/api/runs/{runId}";
        return Results.Json(StatusJson(status), Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(IClusterClient client)
    {
        var ids = await client.GetGrain<IRunRegistryGrain>(0).List().ConfigureAwait(false);
        var statuses = await Task.WhenAll(ids.Select(id => client.GetGrain<IRunCoordinatorGrain>(id).GetStatus().AsTask())).ConfigureAwait(false);
        return Results.Json(new JsonObject { ["runs"] = new JsonArray([.. statuses.Select(StatusJson)]) }, Json);
    }

    private static async Task<IResult> StatusAsync(string id, IClusterClient client)
    {
        if (!RunPaths.IsValidRunId(id))
        {
            return NotFound(id);
        }

        var status = await client.GetGrain<IRunCoordinatorGrain>(id).GetStatus().ConfigureAwait(false);
        return IsUnknown(status)
            ? NotFound(id)
            : Results.Json(StatusJson(status), Json);
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

    private static async Task<IResult> CancelAsync(string id, IClusterClient client)
    {
        if (!RunPaths.IsValidRunId(id))
        {
            return NotFound(id);
        }

        var coordinator = client.GetGrain<IRunCoordinatorGrain>(id);
        if (IsUnknown(await coordinator.GetStatus().ConfigureAwait(false)))
        {
            return NotFound(id);
        }

        return Results.Json(StatusJson(await coordinator.Cancel().ConfigureAwait(false)), Json);
    }

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

    private static string Name(RunState state) => state.ToString().ToLowerInvariant();

    private static IResult NotFound(string id) =>
        Results.Json(new JsonObject { ["error"] = $"no run with id '{OneLine(id)}'" }, Json, statusCode: StatusCodes.Status404NotFound);

    internal static IResult Problem(string message) =>
        Results.Json(new JsonObject { ["error"] = OneLine(message) }, Json, statusCode: StatusCodes.Status400BadRequest);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

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
