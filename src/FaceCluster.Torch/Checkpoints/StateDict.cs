using System.Collections;
using System.Diagnostics.CodeAnalysis;
using TorchSharp;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// Named tensors in file order, as a PyTorch <c>state_dict()</c>: parameters and buffers of a module, or whatever a
/// checkpoint holds. The dict owns its tensors and disposes them with itself.
/// </summary>
[SuppressMessage("Naming", "CA1710", Justification = "Named after PyTorch's state_dict, which callers know it as.")]
public sealed class StateDict : IReadOnlyDictionary<string, torch.Tensor>, IDisposable
{
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, torch.Tensor> _tensors = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Creates an empty dict; <paramref name="source"/> names where it came from in messages.</summary>
    public StateDict(string? source = null) => Source = source;

    /// <summary>The checkpoint this dict was read from (used in error messages), or null.</summary>
    public string? Source { get; }

    /// <summary>Names in file order.</summary>
    public IReadOnlyList<string> Keys
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _keys;
        }
    }

    /// <summary>Number of tensors.</summary>
    public int Count => _keys.Count;

    /// <summary>The tensor called <paramref name="key"/>; still owned by this dict.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public torch.Tensor this[string key]
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _tensors.TryGetValue(key, out var tensor)
                ? tensor
                : throw new KeyNotFoundException($"{Source ?? "state dict"} has no tensor '{key}'");
        }
    }

    IEnumerable<string> IReadOnlyDictionary<string, torch.Tensor>.Keys => Keys;

    /// <summary>Tensors in file order.</summary>
    public IEnumerable<torch.Tensor> Values => Keys.Select(k => _tensors[k]);

    /// <summary>Adds <paramref name="tensor"/> under <paramref name="key"/>; the dict takes ownership of it.</summary>
    /// <exception cref="ArgumentException">The name is already taken.</exception>
    public void Add(string key, torch.Tensor tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensors.TryAdd(key, tensor))
        {
            throw new ArgumentException($"{Source ?? "state dict"} already has a tensor '{key}'", nameof(key));
        }

        _keys.Add(key);
    }

    /// <inheritdoc />
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out torch.Tensor value) => _tensors.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, torch.Tensor>> GetEnumerator()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _keys.Select(k => new KeyValuePair<string, torch.Tensor>(k, _tensors[k])).GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every tensor in the dict.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var tensor in _tensors.Values)
        {
            tensor.Dispose();
        }

        _tensors.Clear();
        _keys.Clear();
    }
}
