using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;

namespace FaceCluster.Api;

/// <summary>
/// A ready-made web application serving the API around an existing <see cref="IClusterClient"/> (an
/// <c>EmbeddedCluster</c>'s, or a client of a remote cluster): Kestrel on <c>FaceCluster:Api:ListenAddress</c> (default
/// <c>127.0.0.1</c>; port 0: a free one), the
/// API, telemetry, <c>/metrics</c> and, unless <c>FaceCluster:Api:Dashboard</c> is false, the Orleans Dashboard at
/// <c>/dashboard</c> (whose silos need <c>silo.AddDashboard()</c>).
/// </summary>
public sealed class FaceClusterApiHost : IAsyncDisposable
{
    private FaceClusterApiHost(WebApplication app, Uri address)
    {
        App = app;
        BaseAddress = address;
    }

    /// <summary>The application.</summary>
    public WebApplication App { get; }

    /// <summary>Where it listens, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Builds and starts the application.</summary>
    /// <param name="client">The cluster client (also registered as <see cref="IGrainFactory"/>).</param>
    /// <param name="configuration">Settings: <c>FaceCluster:DataRoot</c>, <c>FaceCluster:Api:*</c>.</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    /// <param name="configureLogging">Logging of the application (tests capture it), or null for none.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<FaceClusterApiHost> StartAsync(
        IClusterClient client,
        IConfiguration configuration,
        int port = 0,
        Action<ILoggingBuilder>? configureLogging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        var address = IPAddress.TryParse(FaceClusterApiExtensions.ReadOptions(configuration).ListenAddress, out var parsed) ? parsed : IPAddress.Loopback;
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        builder.Services.AddRouting();
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<IGrainFactory>(client);
        builder.Services.AddFaceClusterApi(builder.Configuration);
        builder.Services.AddFaceClusterTelemetry(builder.Configuration);
        if (FaceClusterApiExtensions.ReadOptions(builder.Configuration).Dashboard)
        {
            // The web side of the dashboard, on this client (its silos need silo.AddDashboard()).
            new ServicesClientBuilder(builder.Services, builder.Configuration).AddDashboard();
        }

        var app = builder.Build();
        app.UseRouting();
        app.MapFaceClusterApi();
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FaceClusterApiHost(app, new Uri(listening.TrimEnd('/') + "/"));
    }

    /// <summary>Stops the application (the cluster is left running).</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// The services and configuration of the web application seen as an Orleans client builder, so that client-side
/// extensions (the dashboard's <c>AddDashboard</c>) register into it; the client itself is the existing one.
/// </summary>
internal sealed class ServicesClientBuilder(IServiceCollection services, IConfiguration configuration) : IClientBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfiguration Configuration { get; } = configuration;
}
