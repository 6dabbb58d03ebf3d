using System.Net;
using System.Net.Sockets;
using FaceCluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FaceCluster.Hosting;

/// <summary>
/// A one-silo FaceCluster in this process: localhost clustering on free ports, the file grain storage under the data
/// root, and a client. What <c>facecluster analyze</c> runs on by default, and a quick way to try the cluster.
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private EmbeddedCluster(IHost host, string dataRoot)
    {
        Host = host;
        DataRoot = dataRoot;
        Client = host.Services.GetRequiredService<IClusterClient>();
        Options = host.Services.GetRequiredService<IOptions<FaceClusterClusterOptions>>().Value;
    }

    /// <summary>The host of the silo.</summary>
    public IHost Host { get; }

    /// <summary>A client of the silo (co-hosted: calls do not leave the process).</summary>
    public IClusterClient Client { get; }

    /// <summary>The data root (full path).</summary>
    public string DataRoot { get; }

    /// <summary>The silo's settings.</summary>
    public FaceClusterClusterOptions Options { get; }

    /// <summary>
    /// Starts a silo on localhost with free ports, whose data root is <paramref name="dataRoot"/> (created if missing).
    /// </summary>
    /// <param name="dataRoot">The data root; relative paths are taken from the current folder.</param>
    /// <param name="configure">Adjusts the cluster options after the data root is set (for example worker slots).</param>
    /// <param name="configureSilo">Further silo configuration (for example logging or range observers), or null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="OptionsValidationException">The options are invalid; the message names every problem.</exception>
    public static async Task<EmbeddedCluster> StartAsync(
        string dataRoot,
        Action<FaceClusterClusterOptions>? configure = null,
        Action<ISiloBuilder>? configureSilo = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataRoot);
        var root = Path.GetFullPath(dataRoot);
        Directory.CreateDirectory(root);
        for (var attempt = 1; ; attempt++)
        {
            var host = Build(root, configure, configureSilo);
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
                return new EmbeddedCluster(host, root);
            }
            catch (Exception e) when (attempt < 3 && e.GetBaseException() is SocketException)
            {
                // Another process took a port between choosing and binding it: choose again.
                host.Dispose();
            }
            catch
            {
                host.Dispose();
                throw;
            }
        }
    }

    /// <summary>Stops the silo (running ranges are abandoned; unfinished runs resume when a silo on the same data root starts).</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await Host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            Host.Dispose();
        }
    }

    private static IHost Build(string root, Action<FaceClusterClusterOptions>? configure, Action<ISiloBuilder>? configureSilo)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        // The embedding process owns Ctrl+C and the console; the silo neither listens for signals nor logs unless asked.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Logging.ClearProviders();
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, null, "facecluster-embedded", $"facecluster-embedded-{Guid.NewGuid():N}")
                .AddFaceClusterGrains(options =>
                {
                    options.DataRoot = root;
                    configure?.Invoke(options);
                })
                .AddFaceClusterFileStorage();
            configureSilo?.Invoke(silo);
        });
        return builder.Build();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A host lifetime that waits for nothing and handles no signals.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
