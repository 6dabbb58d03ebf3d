using System.Globalization;
using System.Net;
using FaceCluster.Api;
using FaceCluster.Grains;
using FaceCluster.Tables;
using FaceCluster.Torch;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace FaceCluster.Hosting;

/// <summary>
/// What a silo process is, read from the <c>FaceCluster</c> configuration section (command line, environment
/// <c>FACECLUSTER__...</c>, files): its clustering, ports, role, data root, libtorch and whether it serves the HTTP API.
/// </summary>
/// <param name="Clustering"><c>localhost</c> (one silo, file grain storage) or <c>redis</c>.</param>
/// <param name="Redis">The Redis settings of <c>redis</c> clustering.</param>
/// <param name="ClusterId">The cluster id.</param>
/// <param name="Role"><c>cpu</c> or <c>gpu</c>.</param>
/// <param name="SiloPort">Port between silos.</param>
/// <param name="GatewayPort">Port for clients.</param>
/// <param name="ApiPort">Port of the HTTP API; 0 for none.</param>
/// <param name="DataRoot">The data root every silo shares.</param>
/// <param name="Advertised">The address other silos reach this one at, or null.</param>
/// <param name="Dashboard">Whether the Orleans Dashboard's silo side runs (and the API serves its page).</param>
/// <param name="LibTorch">A libtorch folder to load, or null.</param>
/// <param name="ApiListenAddress">The address the HTTP API listens on (<c>FaceCluster:Api:ListenAddress</c>); null is
/// <c>127.0.0.1</c>, so that the API is reachable from other machines only where a deployment says so.</param>
/// <param name="ServiceId">The Orleans service id (<c>FaceCluster:ServiceId</c>, default <c>facecluster</c>): grain state
/// keys depend on it, so keep it stable across deployments and upgrades.</param>
/// <param name="SiloName">The silo's name (<c>FaceCluster:SiloName</c>, for example a pod's name), or null for Orleans'
/// generated one.</param>
public sealed record FaceClusterSiloSettings(
    string Clustering,
    FaceClusterRedisOptions? Redis,
    string ClusterId,
    string Role,
    int SiloPort,
    int GatewayPort,
    int ApiPort,
    string DataRoot,
    IPAddress? Advertised,
    bool Dashboard,
    string? LibTorch,
    IPAddress? ApiListenAddress = null,
    string ServiceId = "facecluster",
    string? SiloName = null)
{
    /// <summary>The configuration section.</summary>
    public const string Section = FaceClusterClusterOptions.SectionName;

    /// <summary>Reads the settings from <paramref name="configuration"/>.</summary>
    /// <exception cref="InvalidInputException">Every problem, each naming its setting, in one line.</exception>
    public static FaceClusterSiloSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = configuration.GetSection(Section);
        var problems = new List<string>();
        var clustering = settings["Clustering"] ?? "localhost";
        var role = settings["Role"] ?? SiloRoles.Cpu;
        var clusterId = settings["ClusterId"] ?? "facecluster";
        var serviceId = settings["ServiceId"] ?? "facecluster";
        var siloName = settings["SiloName"] is { Length: > 0 } name ? name : null;
        if (siloName is not null && (siloName.Length > 128 || siloName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
        {
            problems.Add($"{Section}:SiloName must be 1-128 letters, digits, '-', '_' or '.', got '{siloName}'");
        }

        if (string.IsNullOrWhiteSpace(serviceId))
        {
            problems.Add($"{Section}:ServiceId must not be empty");
        }

        var dataRoot = settings["DataRoot"];
        IPAddress? advertised = null;
        if (settings["AdvertisedAddress"] is { Length: > 0 } address && !IPAddress.TryParse(address, out advertised))
        {
            problems.Add($"{Section}:AdvertisedAddress must be an IP address, got '{address}'");
        }

        var apiAddress = IPAddress.Loopback;
        if (settings["Api:ListenAddress"] is { Length: > 0 } listen && !IPAddress.TryParse(listen, out apiAddress))
        {
            problems.Add($"{Section}:Api:ListenAddress must be an IP address (0.0.0.0 for every interface), got '{listen}'");
            apiAddress = IPAddress.Loopback;
        }

        // The dashboard's silo side goes on every silo (the dashboard of an API silo shows them all) unless it is off.
        var dashboard = true;
        if (settings["Api:Dashboard"] is { } dashboardSetting && !bool.TryParse(dashboardSetting, out dashboard))
        {
            problems.Add($"{Section}:Api:Dashboard must be true or false, got '{dashboardSetting}'");
        }

        if (!SiloRoles.IsKnown(role))
        {
            problems.Add($"{Section}:Role must be cpu or gpu, got '{role}'");
        }

        FaceClusterRedisOptions? redis = null;
        if (clustering == "redis")
        {
            redis = new FaceClusterRedisOptions
            {
                ConnectionString = settings["Redis"] ?? string.Empty,
                Password = settings["RedisPassword"] is { Length: > 0 } password ? password : null,
                ClusterId = clusterId,
                ServiceId = string.IsNullOrWhiteSpace(serviceId) ? "facecluster" : serviceId,
                DataRoot = dataRoot,
            };
            problems.AddRange(redis.Validate(requireDataRoot: true));
        }
        else if (clustering != "localhost")
        {
            problems.Add($"{Section}:Clustering must be localhost or redis, got '{clustering}'");
        }
        else if (string.IsNullOrWhiteSpace(dataRoot) || !Path.IsPathFullyQualified(dataRoot))
        {
            problems.Add($"the data root must be an absolute folder (--data or {Section}:DataRoot), got '{dataRoot}'");
        }

        var siloPort = Port(settings, "SiloPort", 11111, problems);
        var gatewayPort = Port(settings, "GatewayPort", 30000, problems);
        var apiPort = Port(settings, "ApiPort", 0, problems);
        if (problems.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", problems));
        }

        return new FaceClusterSiloSettings(
            clustering, redis, clusterId, role, siloPort, gatewayPort, apiPort, dataRoot!, advertised, dashboard, settings["LibTorch"] is { Length: > 0 } lib ? lib : null,
            apiAddress, serviceId, siloName);
    }

    private static int Port(IConfigurationSection settings, string key, int fallback, List<string> problems)
    {
        var value = settings[key];
        if (value is null)
        {
            return fallback;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
        {
            return port;
        }

        problems.Add($"{Section}:{key} must be a port in 1..65535, got '{value}'");
        return fallback;
    }
}

/// <summary>
/// A whole FaceCluster silo process from configuration: <c>facecluster silo</c>, the <c>FaceCluster.Silo</c> host and
/// the container images run this.
/// </summary>
public static class FaceClusterSilo
{
    /// <summary>
    /// Makes <paramref name="builder"/> a FaceCluster silo as <paramref name="settings"/> say: clustering, grains and run
    /// kinds, grain storage, role, dashboard, membership tuning (<c>FaceCluster:Membership</c>), and the HTTP API and
    /// telemetry when it is a web application with an API port.
    /// </summary>
    public static IHostApplicationBuilder AddFaceClusterSilo(this IHostApplicationBuilder builder, FaceClusterSiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(settings.DataRoot);
        builder.UseOrleans(silo =>
        {
            if (settings.Redis is { } redis)
            {
                silo.UseFaceClusterRedis(redis);
                silo.Configure<EndpointOptions>(o =>
                {
                    o.SiloPort = settings.SiloPort;
                    o.GatewayPort = settings.GatewayPort;
                    if (settings.Advertised is not null)
                    {
                        o.AdvertisedIPAddress = settings.Advertised;
                    }
                });
            }
            else
            {
                silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, null, settings.ServiceId, settings.ClusterId)
                    .AddFaceClusterGrains(o => o.DataRoot = settings.DataRoot)
                    .AddFaceClusterFileStorage();
            }

            if (settings.SiloName is { } siloName)
            {
                silo.Configure<SiloOptions>(o => o.SiloName = siloName);
            }

            silo.AddFaceClusterRole(settings.Role);
            if (settings.Dashboard)
            {
                silo.AddDashboard();
            }

            // Failure detection can be tuned per deployment (FACECLUSTER__MEMBERSHIP__PROBETIMEOUT=00:00:02, ...).
            silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration($"{FaceClusterSiloSettings.Section}:Membership");
        });
        if (settings.ApiPort > 0 && builder is WebApplicationBuilder web)
        {
            web.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(settings.ApiListenAddress ?? IPAddress.Loopback, settings.ApiPort));
            web.Services.AddFaceClusterApi(web.Configuration);
            web.Services.AddFaceClusterTelemetry(web.Configuration);
        }

        return builder;
    }

    /// <summary>
    /// Runs a silo until <paramref name="cancellationToken"/> fires or the process is told to stop (SIGTERM, Ctrl+C).
    /// Configuration: <paramref name="args"/> (<c>--FaceCluster:SiloPort=11112</c>), the environment, then
    /// <paramref name="overrides"/>. Torch is loaded at start where a libtorch is named or the role is gpu, so that a bad
    /// folder, or a gpu silo without CUDA, is said at once rather than at the first job.
    /// </summary>
    /// <exception cref="InvalidInputException">Bad settings; the message names each.</exception>
    public static async Task RunAsync(string[] args, IReadOnlyDictionary<string, string?> overrides, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var preview = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).AddInMemoryCollection(overrides).Build();
        var settings = FaceClusterSiloSettings.Read(preview);

        // With an API port the silo also serves the HTTP API (ASP.NET Core in the same host and process).
        IHostApplicationBuilder builder = settings.ApiPort > 0
            ? WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args })
            : Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

        var torchNote = string.Empty;
        if (settings.LibTorch is not null || settings.Role == SiloRoles.Gpu || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TorchRuntime.LibTorchVariable)))
        {
            TorchRuntimeInfo torch;
            try
            {
                torch = TorchRuntime.Initialize(settings.LibTorch, $"{FaceClusterSiloSettings.Section}:LibTorch");
            }
            catch (TorchRuntimeException e)
            {
                throw new InvalidInputException(e.Message);
            }

            torchNote = $", libtorch {torch.ExternalLibTorch ?? "bundled (CPU)"}, CUDA {(torch.CudaAvailable ? $"{torch.CudaDeviceCount} device(s)" : "not available")}";
            if (settings.Role == SiloRoles.Gpu && !torch.CudaAvailable)
            {
                await log.WriteLineAsync(
                    $"warning: role gpu, but CUDA is not available (set --libtorch or {FaceClusterSiloSettings.Section}:LibTorch to a CUDA libtorch): GPU work placed here runs on the CPU").ConfigureAwait(false);
            }
        }

        builder.AddFaceClusterSilo(settings);
        var api = settings.ApiPort > 0 ? $", HTTP API on {settings.ApiListenAddress ?? IPAddress.Loopback} port {settings.ApiPort}{(settings.Dashboard ? " with the dashboard at /dashboard" : string.Empty)}" : string.Empty;
        await log.WriteLineAsync(
            $"silo: {settings.Clustering} clustering{(settings.Redis is null ? string.Empty : $" on {settings.Redis.ConnectionString}")}, cluster {settings.ClusterId}, role {settings.Role}, silo port {settings.SiloPort}, gateway port {settings.GatewayPort}, data root {settings.DataRoot}{torchNote}{api}").ConfigureAwait(false);
        if (builder is WebApplicationBuilder web)
        {
            await using var app = web.Build();
            app.UseRouting();
            app.MapFaceClusterApi();
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var host = ((HostApplicationBuilder)builder).Build();
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
