using System.CommandLine;
using System.Globalization;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using FaceCluster.Torch;
using Orleans.Configuration;

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
        var apiAddress = new Option<string?>("--api-address")
        {
            Description = $"IP address the HTTP API listens on, passed on as {Section}:Api:ListenAddress [default: 127.0.0.1; 0.0.0.0 for every interface].",
            HelpName = "IP",
        };
        var data = new Option<string?>("--data") { Description = $"The data root shared by every silo at the same absolute path [default: {Section}:DataRoot].", HelpName = "DIR" };
        var libTorch = new Option<string?>("--libtorch")
        {
            Description = $"A libtorch lib folder to load instead of the bundled CPU one, for example PyTorch's on a GPU node [default: {Section}:LibTorch, else ${TorchRuntime.LibTorchVariable}].",
            HelpName = "DIR",
        };
        var advertise = new Option<string?>("--advertise") { Description = $"IP address other silos and clients reach this silo at [default: {Section}:AdvertisedAddress, else Orleans' choice; 127.0.0.1 for localhost].", HelpName = "IP" };
        var command = new Command("silo", "Run one silo of a FaceCluster cluster until SIGTERM or Ctrl+C.")
        {
            clustering, redis, clusterId, role, siloPort, gatewayPort, apiPort, apiAddress, data, advertise, libTorch,
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
            Set("Api:ListenAddress", parseResult.GetValue(apiAddress));
            Set("DataRoot", parseResult.GetValue(data) is { } root ? Path.GetFullPath(root) : null);
            Set("AdvertisedAddress", parseResult.GetValue(advertise));
            Set("LibTorch", parseResult.GetValue(libTorch) is { } folder ? Path.GetFullPath(folder) : null);
            return RunAsync(context, overrides, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, Dictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        await FaceClusterSilo.RunAsync([], overrides, context.Error, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
