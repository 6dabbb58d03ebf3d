using FaceCluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StackExchange.Redis;

namespace FaceCluster.Hosting;

/// <summary>
/// A cluster of FaceCluster processes: Redis membership (<c>UseRedisClustering</c>) and Redis grain storage under
/// <see cref="FaceClusterStorage.Name"/> for silos, Redis gateway discovery for clients.
/// </summary>
/// <example>
/// <code>
/// builder.UseOrleans(silo => silo.UseFaceClusterRedis(new FaceClusterRedisOptions
/// {
///     ConnectionString = "redis:6379", ClusterId = "prod", DataRoot = "/data/facecluster",
/// }));
/// </code>
/// </example>
public static class FaceClusterRedisExtensions
{
    /// <summary>
    /// Makes the silo a member of the Redis cluster: clustering and grain storage on Redis, the FaceCluster grains with
    /// <see cref="FaceClusterRedisOptions.DataRoot"/> as data root (then <paramref name="configure"/>).
    /// </summary>
    /// <exception cref="OptionsValidationException">The options are invalid; the message names every problem.</exception>
    public static ISiloBuilder UseFaceClusterRedis(
        this ISiloBuilder builder, FaceClusterRedisOptions options, Action<FaceClusterClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(new FaceClusterRedisOptionsValidator().Validate(null, options));
        builder.Services.AddOptions<FaceClusterRedisOptions>().Configure(o => Copy(options, o)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<FaceClusterRedisOptions>, FaceClusterRedisOptionsValidator>();
        var dataRoot = options.DataRoot!;
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        builder.UseRedisClustering(o => o.ConfigurationOptions = Connection(options));
        builder.AddRedisGrainStorage(FaceClusterStorage.Name, o => o.ConfigurationOptions = Connection(options));
        builder.AddFaceClusterGrains(o =>
        {
            o.DataRoot = dataRoot;
            configure?.Invoke(o);
        });
        return builder;
    }

    /// <summary>Makes the client find the cluster's gateways through Redis.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid; the message names every problem.</exception>
    public static IClientBuilder UseFaceClusterRedis(this IClientBuilder builder, FaceClusterRedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate(requireDataRoot: false);
        ThrowIfInvalid(errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors));
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        builder.UseRedisClustering(o => o.ConfigurationOptions = Connection(options));
        return builder;
    }

    /// <summary>
    /// Starts a client of the Redis cluster that <paramref name="options"/> names (no silo in this process). Dispose the host
    /// to disconnect.
    /// </summary>
    public static async Task<IHost> StartRedisClientAsync(FaceClusterRedisOptions options, CancellationToken cancellationToken = default)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleansClient(client => client.UseFaceClusterRedis(options));
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static ConfigurationOptions Connection(FaceClusterRedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        configuration.AbortOnConnectFail = false;
        if (!string.IsNullOrEmpty(options.Password))
        {
            configuration.Password = options.Password;
        }

        return configuration;
    }

    private static void Copy(FaceClusterRedisOptions from, FaceClusterRedisOptions to)
    {
        to.ConnectionString = from.ConnectionString;
        to.ClusterId = from.ClusterId;
        to.ServiceId = from.ServiceId;
        to.Password = from.Password;
        to.DataRoot = from.DataRoot;
    }

    private static void ThrowIfInvalid(ValidateOptionsResult result)
    {
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(FaceClusterRedisOptions), typeof(FaceClusterRedisOptions), result.Failures);
        }
    }
}
