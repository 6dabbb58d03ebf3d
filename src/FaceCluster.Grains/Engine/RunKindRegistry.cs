using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FaceCluster.Grains;

/// <summary>The run kinds a silo knows, by name (every <see cref="IRunKind"/> registered in its services).</summary>
public sealed class RunKindRegistry
{
    private readonly Dictionary<string, IRunKind> _kinds;

    /// <summary>Collects <paramref name="kinds"/>; two with one name are a configuration error.</summary>
    public RunKindRegistry(IEnumerable<IRunKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        _kinds = new(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            if (!_kinds.TryAdd(kind.Name, kind) && !ReferenceEquals(_kinds[kind.Name], kind))
            {
                throw new InvalidOperationException($"Two run kinds are named '{kind.Name}'.");
            }
        }
    }

    /// <summary>The names of the known kinds, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _kinds.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The kind named <paramref name="name"/>, or null.</summary>
    public IRunKind? Find(string? name) => name is not null && _kinds.TryGetValue(name, out var kind) ? kind : null;

    /// <summary>The kind named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such kind.</exception>
    public IRunKind Get(string name) =>
        Find(name) ?? throw new ArgumentException($"unknown run kind '{name}' (known: {string.Join(", ", Names)})", nameof(name));
}

/// <summary>Registers run kinds.</summary>
public static class RunKindServiceCollectionExtensions
{
    /// <summary>Adds <typeparamref name="TKind"/> (a singleton) to the silo's run kinds.</summary>
    public static IServiceCollection AddRunKind<TKind>(this IServiceCollection services)
        where TKind : class, IRunKind
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<TKind>();
        services.AddSingleton<IRunKind>(sp => sp.GetRequiredService<TKind>());
        services.TryAddSingleton<RunKindRegistry>();
        return services;
    }
}
