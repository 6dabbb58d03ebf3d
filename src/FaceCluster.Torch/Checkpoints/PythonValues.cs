namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// A Python dict (or <c>collections.OrderedDict</c>) to write with <see cref="PyTorchCheckpoint.SaveObject"/>: keys are
/// strings or integers, in insertion order; values are what <see cref="PyTorchCheckpoint.SaveObject"/> accepts.
/// </summary>
/// <param name="ordered">True for <c>collections.OrderedDict</c> (what <c>state_dict()</c> returns), false for a dict.</param>
public sealed class PythonDict(bool ordered = false) : List<KeyValuePair<object, object?>>
{
    /// <summary>Whether this is a <c>collections.OrderedDict</c> rather than a plain dict.</summary>
    public bool Ordered { get; } = ordered;

    /// <summary>Appends <paramref name="key"/> (a string or an integer) with <paramref name="value"/>.</summary>
    public void Add(object key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key is not (string or int or long))
        {
            throw new ArgumentException($"a dict key must be a string or an integer, got {key.GetType().Name}", nameof(key));
        }

        Add(new KeyValuePair<object, object?>(key is int small ? (long)small : key, value));
    }
}

/// <summary>A Python tuple to write with <see cref="PyTorchCheckpoint.SaveObject"/>.</summary>
/// <param name="Items">The items.</param>
public sealed record PythonTuple(params IReadOnlyList<object?> Items);
