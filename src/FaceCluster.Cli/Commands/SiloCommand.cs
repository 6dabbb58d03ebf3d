using System.CommandLine;
using System.Globalization;
using System.Net;
using FaceCluster.Api;
using FaceCluster.Grains;
using FaceCluster.Hosting;
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

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster silo</c>: one long-running silo of a cluster. Settings come from the <c>FaceCluster</c> configuration
/// section (environment variables <c>FACECLUSTER__...</c>, for example <c>FACECLUSTER__WORKERSLOTS=4</c>), overridden
/// by the options given; <c>FaceCluster:Membership</c> binds Orleans' <see cref="ClusterMembershipOptions"/>. Stops gracefully on SIGTERM or Ctrl+C; logs go to standard error.
/// Every silo gets the Orleans Dashboard's silo services, and one with an API port serves the dashboard at <c>/dashboard</c>
/// behind the API's tokens, unless <c>FaceCluster:Api:Dashboard</c> is false.
/// </summary>
internal static class SiloCommand
{
    private const string Section = FaceClusterClusterOptions.SectionName;

    /// <summary>Builds the <c>silo</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var clustering = new Option<string?>("--clustering") { Description = $"How silos find each other: localhost (one silo, file grain storage) or redis [default: {Section}:Clustering, else localhost]." };
        clustering.AcceptOnlyFromAmong("localhost", "redis");
        var redis = new Option<string?>("--redis") { Description = $"The Redis server of --clustering redis [default: {Section}:Redis].", HelpName = "HOST:PORT" };
        var clusterId = new Option<string?>("--cluster-id") { Description = $"Cluster id shared by the silos and clients [default: {Section}:ClusterId, else facecluster].", HelpName = "ID" };
        var role = new Option<string?>("--role") { Description = $"This silo's role in its metadata: cpu or gpu (GPU work prefers gpu silos) [default: {Section}:Role, else cpu]." };
        role.AcceptOnlyFromAmong(SiloRoles.Cpu, SiloRoles.Gpu);
        var siloPort = new Option<int?>("--silo-port") { Description = $"Port between silos [default: {Section}:SiloPort, else 11111].", HelpName = "N" };
        var gatewayPort = new Option<int?>("--gateway-port") { Description = $"Port for clients [default: {Section}:GatewayPort, else 30000].", HelpName = "N" };
        var apiPort = new Option<int?>("--api-port") { Description = $"Port of the HTTP API, passed on as {Section}:ApiPort.", HelpName = "N" };
        var data = new Option<string?>("--data") { Description = $"The data root shared by every silo at the same absolute path [default: {Section}:DataRoot].", HelpName = "DIR" };
        var libTorch = new Option<string?>("--libtorch")
        {
            Description = $"A libtorch lib folder to load instead of the bundled CPU one, for example PyTorch's on a GPU node [default: {Section}:LibTorch, else ${TorchRuntime.LibTorchVariable}].",
            HelpName = "DIR",
        };
        var advertise = new Option<string?>("--advertise") { Description = $"IP address other silos and clients reach this silo at [default: {Section}:AdvertisedAddress, else Orleans' choice; 127.0.0.1 for localhost].", HelpName = "IP" };
        var command = new Command("silo", "Run one silo of a FaceCluster cluster until SIGTERM or Ctrl+C.")
        {
            clustering, redis, clusterId, role, siloPort, gatewayPort, apiPort, data, advertise, libTorch,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, object? value)
            {
                if (value is not null)
                {
                    overrides[$"{Section}:{key}"] = Convert.ToString(value, CultureInfo.InvariantCulture);
                }
            }

            Set("Clustering", parseResult.GetValue(clustering));
            Set("Redis", parseResult.GetValue(redis));
            Set("ClusterId", parseResult.GetValue(clusterId));
            Set("Role", parseResult.GetValue(role));
            Set("SiloPort", parseResult.GetValue(siloPort));
            Set("GatewayPort", parseResult.GetValue(gatewayPort));
            Set("ApiPort", parseResult.GetValue(apiPort));
            Set("DataRoot", parseResult.GetValue(data) is { } root ? Path.GetFullPath(root) : null);
            Set("AdvertisedAddress", parseResult.GetValue(advertise));
            Set("LibTorch", parseResult.GetValue(libTorch) is { } folder ? Path.GetFullPath(folder) : null);
            return RunAsync(context, overrides, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, Dictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        // With an API port the silo also serves the HTTP API (ASP.NET Core in the same host and process).
        var preview = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(overrides).Build();
        var servesApi = int.TryParse(preview[$"{Section}:ApiPort"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var requestedApiPort) && requestedApiPort > 0;
        IHostApplicationBuilder builder = servesApi
            ? WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] })
            : Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        var settings = builder.Configuration.GetSection(Section);
        var problems = new List<string>();
        var clustering = settings["Clustering"] ?? "localhost";
        var role = settings["Role"] ?? SiloRoles.Cpu;
        var siloPort = Port(settings, "SiloPort", 11111, problems);
        var gatewayPort = Port(settings, "GatewayPort", 30000, problems);
        var apiPort = Port(settings, "ApiPort", 0, problems);
        var clusterId = settings["ClusterId"] ?? "facecluster";
        var dataRoot = settings["DataRoot"];
        IPAddress? advertised = null;
        if (settings["AdvertisedAddress"] is { Length: > 0 } address && !IPAddress.TryParse(address, out advertised))
        {
            problems.Add($"{Section}:AdvertisedAddress must be an IP address, got '{address}'");
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
            redis = new FaceClusterRedisOptions { ConnectionString = settings["Redis"] ?? string.Empty, ClusterId = clusterId, DataRoot = dataRoot };
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

        if (problems.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", problems));
        }

        // Torch is loaded now, where an external libtorch is named or the silo is to do GPU work, so that a bad folder or
        // a gpu silo without CUDA is said at start rather than at the first job.
        var torchNote = string.Empty;
        var libTorch = settings["LibTorch"];
        if (!string.IsNullOrWhiteSpace(libTorch) || role == SiloRoles.Gpu || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TorchRuntime.LibTorchVariable)))
        {
            TorchRuntimeInfo torch;
            try
            {
                torch = TorchRuntime.Initialize(string.IsNullOrWhiteSpace(libTorch) ? null : libTorch, $"{Section}:LibTorch");
            }
            catch (TorchRuntimeException e)
            {
                throw new InvalidInputException(e.Message);
            }

            torchNote = $", libtorch {torch.ExternalLibTorch ?? "bundled (CPU)"}, CUDA {(torch.CudaAvailable ? $"{torch.CudaDeviceCount} device(s)" : "not available")}";
            if (role == SiloRoles.Gpu && !torch.CudaAvailable)
            {
                await context.Error.WriteLineAsync(
                    $"warning: role gpu, but CUDA is not available (set --libtorch or {Section}:LibTorch to a CUDA libtorch): GPU work placed here runs on the CPU").ConfigureAwait(false);
            }
        }

        Directory.CreateDirectory(dataRoot!);
        builder.UseOrleans(silo =>
        {
            if (redis is not null)
            {
                silo.UseFaceClusterRedis(redis);
                silo.Configure<EndpointOptions>(o =>
                {
                    o.SiloPort = siloPort;
                    o.GatewayPort = gatewayPort;
                    if (advertised is not null)
                    {
                        o.AdvertisedIPAddress = advertised;
                    }
                });
            }
            else
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, null, "facecluster", clusterId)
                    .AddFaceClusterGrains(o => o.DataRoot = dataRoot!)
                    .AddFaceClusterFileStorage();
            }

            silo.AddFaceClusterRole(role);
            if (dashboard)
            {
                silo.AddDashboard();
            }

            // Failure detection can be tuned per deployment (FACECLUSTER__MEMBERSHIP__PROBETIMEOUT=00:00:02, ...).
            silo.Services.AddOptions<ClusterMembershipOptions>().BindConfiguration($"{Section}:Membership");
        });
        await context.Error.WriteLineAsync(
            $"silo: {clustering} clustering{(redis is null ? string.Empty : $" on {redis.ConnectionString}")}, cluster {clusterId}, role {role}, silo port {siloPort}, gateway port {gatewayPort}, data root {dataRoot}{torchNote}{(servesApi ? $", HTTP API on port {apiPort}{(dashboard ? " with the dashboard at /dashboard" : string.Empty)}" : string.Empty)}").ConfigureAwait(false);
        if (builder is WebApplicationBuilder web)
        {
            web.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(apiPort));
            web.Services.AddFaceClusterApi(web.Configuration);
            web.Services.AddFaceClusterTelemetry(web.Configuration);
            await using var app = web.Build();
            app.UseRouting();
            app.MapFaceClusterApi();
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        using var host = ((HostApplicationBuilder)builder).Build();
        await host.RunAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
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
