using FaceCluster.Grains;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace FaceCluster.Hosting;

/// <summary>
/// The role a silo declares in its silo metadata (key <see cref="MetadataKey"/>): <see cref="Cpu"/> or <see cref="Gpu"/>.
/// </summary>
public static class SiloRoles
{
    /// <summary>The silo metadata key of the role.</summary>
    public const string MetadataKey = SiloRoleMetadata.Key;

    /// <summary>A silo without accelerator.</summary>
    public const string Cpu = SiloRoleMetadata.Cpu;

    /// <summary>A silo with an accelerator (GPU work prefers it).</summary>
    public const string Gpu = SiloRoleMetadata.Gpu;

    /// <summary>Whether <paramref name="role"/> is a known role.</summary>
    public static bool IsKnown(string? role) => role is Cpu or Gpu;

    /// <summary>Declares the silo's role in its metadata and adds the <see cref="PreferGpuSiloPlacement"/> director.</summary>
    public static ISiloBuilder AddFaceClusterRole(this ISiloBuilder builder, string role)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!IsKnown(role))
        {
            throw new ArgumentException($"the silo role must be '{Cpu}' or '{Gpu}', got '{role}'", nameof(role));
        }

        builder.UseSiloMetadata(new Dictionary<string, string> { [MetadataKey] = role });
        builder.AddPlacementDirector<PreferGpuSiloPlacement, PreferGpuSiloPlacementDirector>();
        return builder;
    }
}

/// <summary>Places an activation on a silo whose role is <see cref="SiloRoles.Gpu"/> when there is one, else on any compatible silo.</summary>
[Serializable]
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.PreferGpuSiloPlacement")]
public sealed class PreferGpuSiloPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static readonly PreferGpuSiloPlacement Instance = new();
}

/// <summary>Marks a grain class for <see cref="PreferGpuSiloPlacement"/> (for GPU work such as training).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class PreferGpuSiloAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public PreferGpuSiloAttribute()
        : base(PreferGpuSiloPlacement.Instance)
    {
    }
}

/// <summary>The director of <see cref="PreferGpuSiloPlacement"/>: a random gpu silo, else a random compatible silo.</summary>
public sealed class PreferGpuSiloPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    /// <inheritdoc />
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = context.GetCompatibleSilos(target);
        return Task.FromResult(Choose(silos, silo => RoleOf(silo), Random.Shared));
    }

    /// <summary>
    /// A silo of role <see cref="SiloRoles.Gpu"/> among <paramref name="silos"/> if any, else any of them, picked with
    /// <paramref name="random"/>.
    /// </summary>
    /// <exception cref="OrleansException">No silo is compatible.</exception>
    public static SiloAddress Choose(IReadOnlyList<SiloAddress> silos, Func<SiloAddress, string?> role, Random random)
    {
        ArgumentNullException.ThrowIfNull(silos);
        ArgumentNullException.ThrowIfNull(role);
        ArgumentNullException.ThrowIfNull(random);
        if (silos.Count == 0)
        {
            throw new OrleansException("no compatible silo to place the activation on");
        }

        var gpu = silos.Where(s => role(s) == SiloRoles.Gpu).ToArray();
        var pool = gpu.Length > 0 ? gpu : silos;
        return pool[random.Next(pool.Count)];
    }

    private string? RoleOf(SiloAddress silo) =>
        metadata.GetSiloMetadata(silo).Metadata.TryGetValue(SiloRoles.MetadataKey, out var role) ? role : null;
}
