using FaceCluster.Grains;
using FaceCluster.Learning.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;

namespace FaceCluster.Hosting;

/// <summary>
/// How a silo becomes a FaceCluster silo: one extension method per concern, to be combined with the clustering of the
/// deployment (localhost for the embedded cluster, Redis for a cluster of processes).
/// </summary>
/// <example>
/// <code>
/// builder.UseOrleans(silo => silo
///     .UseLocalhostClustering()
///     .AddFaceClusterGrains(o => o.DataRoot = "/data/facecluster")
///     .AddFaceClusterFileStorage());
/// </code>
/// </example>
public static class FaceClusterHostingExtensions
{
    /// <summary>
    /// Adds the grains' services: options (bound from the <c>FaceCluster</c> configuration section, then
    /// <paramref name="configure"/>, checked at start-up by <see cref="FaceClusterClusterOptionsValidator"/>), the per-silo
    /// input cache and work executor, and the watchdog that wakes unfinished runs. Grain storage named
    /// <see cref="FaceClusterStorage.Name"/> must be added separately (<see cref="AddFaceClusterFileStorage"/> or a
    /// database provider under that name).
    /// </summary>
    public static ISiloBuilder AddFaceClusterGrains(this ISiloBuilder builder, Action<FaceClusterClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<FaceClusterClusterOptions>().BindConfiguration(FaceClusterClusterOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaceClusterClusterOptions>, FaceClusterClusterOptionsValidator>());
        services.TryAddSingleton<InputCache>();
        services.AddRunKind<PpcaRunKind>();
        services.AddRunKind<GppcaRunKind>();
        services.AddRunKind<ReportRunKind>();
        services.AddRunKind<StudyAggregateRunKind>();
        services.AddLearningRunKinds();
        services.TryAddSingleton<SiloWorkExecutor>();
        services.TryAddSingleton<RunWatchdog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IScheduledWake, UnfinishedRunsWake>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRangeObserver, TelemetryRangeObserver>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloWorkExecutor>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<RunWatchdog>());
        return builder;
    }

    /// <summary>
    /// Adds the embedded default grain storage: JSON files under <c>{DataRoot}/grain-state</c>
    /// (<see cref="FileGrainStorage"/>), named <see cref="FaceClusterStorage.Name"/>. Good for one process (or processes
    /// that never run the same grain at once); a cluster of processes uses Redis under the same name instead.
    /// </summary>
    public static ISiloBuilder AddFaceClusterFileStorage(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddGrainStorage(
            FaceClusterStorage.Name,
            (services, _) =>
            {
                var root = services.GetRequiredService<IOptions<FaceClusterClusterOptions>>().Value.DataRoot;
                return new FileGrainStorage(Path.Combine(root, FaceClusterStorage.StateFolder));
            });
        return builder;
    }
}

/// <summary>Checks <see cref="FaceClusterClusterOptions"/> at start-up, naming every problem and what is expected.</summary>
public sealed class FaceClusterClusterOptionsValidator : IValidateOptions<FaceClusterClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FaceClusterClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
