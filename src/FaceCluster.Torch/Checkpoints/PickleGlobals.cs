using TorchSharp;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>What an allow-listed class or function stands for inside <see cref="PickleMachine"/>.</summary>
internal enum PickleGlobalKind
{
    OrderedDict,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    RebuildParameterWithState,
    Size,
    Storage,
}

/// <summary>An allow-listed global: a marker, never a callable from the file.</summary>
internal sealed record PickleGlobal(string Module, string Name, PickleGlobalKind Kind, torch.ScalarType StorageType = torch.ScalarType.Byte, int ElementSize = 1)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A storage a persistent id names: the root storage's key, its element type and a window into it.</summary>
/// <param name="Key">The root storage's key (zip: the entry name under data/; legacy: the key in the storage list).</param>
/// <param name="Type">The storage class, which gives dtype and element size.</param>
/// <param name="RootElementCount">Elements of the root storage as the persistent id declares it.</param>
/// <param name="ViewOffset">Legacy views: where this view starts in the root storage, in elements.</param>
/// <param name="ViewElementCount">Elements this reference may address (the root's count when not a view).</param>
internal sealed record StorageReference(string Key, PickleGlobal Type, long RootElementCount, long ViewOffset, long ViewElementCount);

/// <summary>A tensor as <c>_rebuild_tensor_v2</c> describes it; its values are read once the storages are at hand.</summary>
internal sealed record TensorReference(StorageReference Storage, long StorageOffset, long[] Shape, long[] Stride);

/// <summary>
/// The allow-list: only the classes a state dict needs. Anything else (os.system, builtins.eval, a model class) is
/// refused when the pickle names it, before any value is built, so no code from the file can run.
/// </summary>
internal static class PickleGlobals
{
    /// <summary>torch's typed storage classes: name, dtype, bytes per element.</summary>
    internal static readonly (string Name, torch.ScalarType Type, int ElementSize)[] StorageClasses =
    [
        ("FloatStorage", torch.ScalarType.Float32, 4),
        ("DoubleStorage", torch.ScalarType.Float64, 8),
        ("HalfStorage", torch.ScalarType.Float16, 2),
        ("BFloat16Storage", torch.ScalarType.BFloat16, 2),
        ("LongStorage", torch.ScalarType.Int64, 8),
        ("IntStorage", torch.ScalarType.Int32, 4),
        ("ShortStorage", torch.ScalarType.Int16, 2),
        ("CharStorage", torch.ScalarType.Int8, 1),
        ("ByteStorage", torch.ScalarType.Byte, 1),
        ("BoolStorage", torch.ScalarType.Bool, 1),
    ];

    // Declared after StorageClasses: static fields initialise in text order.
    private static readonly Dictionary<string, PickleGlobal> Allowed = BuildAllowList();

    public static PickleGlobal Resolve(string module, string name, string path) =>
        Allowed.TryGetValue($"{module}.{name}", out var global)
            ? global
            : throw new CheckpointFormatException(path,
                $"The checkpoint reader refuses to load class '{module}.{name}' from {path}: " +
                "only tensors and state-dict containers are allowed");

    public static object Call(PickleGlobal callable, object?[] arguments, string path, long offset)
    {
        CheckpointFormatException Error(string problem) =>
            new(path, $"{path}: {callable.FullName}{PickleMachine.Describe(arguments)}: {problem} (pickle opcode at offset {offset})");

        switch (callable.Kind)
        {
            case PickleGlobalKind.OrderedDict:
                var dict = new PickleDict(isOrdered: true);
                if (arguments.Length == 1 && arguments[0] is List<object?> pairs)
                {
                    foreach (var pair in pairs)
                    {
                        if (pair is not object?[] { Length: 2 } kv || kv[0] is null)
                        {
                            throw Error("OrderedDict items are not (key, value) pairs");
                        }

                        dict.Set(kv[0]!, kv[1]);
                    }
                }
                else if (arguments.Length != 0)
                {
                    throw Error("OrderedDict takes no arguments or a list of pairs");
                }

                return dict;

            case PickleGlobalKind.RebuildTensorV2 or PickleGlobalKind.RebuildTensor:
                // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
                // _rebuild_tensor(storage, storage_offset, size, stride). Gradient flags and hooks do not matter to weights.
                var (minimum, maximum) = callable.Kind == PickleGlobalKind.RebuildTensorV2 ? (6, 7) : (4, 4);
                if (arguments.Length < minimum || arguments.Length > maximum)
                {
                    throw Error($"expected {minimum} to {maximum} arguments");
                }

                if (arguments[0] is not StorageReference storage)
                {
                    throw Error("the first argument is not a storage (persistent id)");
                }

                if (arguments[1] is not long storageOffset || storageOffset < 0)
                {
                    throw Error("the storage offset is not a non-negative integer");
                }

                var shape = ToLongs(arguments[2]) ?? throw Error("the size is not a tuple of non-negative integers");
                var stride = ToLongs(arguments[3]) ?? throw Error("the stride is not a tuple of non-negative integers");
                if (shape.Length != stride.Length)
                {
                    throw Error("size and stride differ in length");
                }

                return new TensorReference(storage, storageOffset, shape, stride);

            case PickleGlobalKind.RebuildParameter or PickleGlobalKind.RebuildParameterWithState:
                // _rebuild_parameter(data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
                return arguments.Length >= 3 && arguments[0] is TensorReference data
                    ? data
                    : throw Error("expected a tensor, requires_grad and hooks");

            case PickleGlobalKind.Size:
                return arguments.Length == 1 && ToLongs(arguments[0]) is { } dimensions
                    ? dimensions.Cast<object?>().ToArray()
                    : throw Error("expected one tuple of non-negative integers");

            default:
                throw Error("a storage class cannot be called; it may only appear in a persistent id");
        }
    }

    public static void Build(object? target, object? state, string path, long offset)
    {
        // torch pickles a state dict's version table as OrderedDict attribute _metadata (BUILD with a dict); it matters
        // only to modules' _load_from_state_dict upgrades in Python, not to the values.
        if (target is PickleDict { IsOrdered: true } && state is PickleDict or null)
        {
            return;
        }

        throw new CheckpointFormatException(path,
            $"{path}: BUILD (setting object state) on {PickleMachine.Describe(target)} is not allowed in a state dict (pickle opcode at offset {offset})");
    }

    /// <summary>Turns a persistent id ('storage', storage_type, key, location, numel[, view_metadata]) into a reference.</summary>
    public static StorageReference ParseStorageId(object? id, string path)
    {
        CheckpointFormatException Error(string problem) =>
            new(path, $"{path}: persistent id {PickleMachine.Describe(id)}: {problem}");

        if (id is not object?[] { Length: 5 or 6 } fields || fields[0] is not "storage")
        {
            throw Error("expected ('storage', storage_type, key, location, numel[, view_metadata])");
        }

        if (fields[1] is not PickleGlobal { Kind: PickleGlobalKind.Storage } type)
        {
            throw Error("the storage type is not a storage class");
        }

        // Legacy files key storages by their address as a str; keep any scalar key as text.
        var key = fields[2] switch
        {
            string text => text,
            long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw Error("the key is not a string"),
        };
        if (fields[4] is not long count || count < 0)
        {
            throw Error("the element count is not a non-negative integer");
        }

        if (fields.Length == 6 && fields[5] is not null)
        {
            // Legacy view: (view_key, offset, view_size) into the root storage named by key.
            if (fields[5] is not object?[] { Length: 3 } view || view[1] is not long viewOffset || view[2] is not long viewCount ||
                viewOffset < 0 || viewCount < 0 || viewOffset + viewCount > count)
            {
                throw Error("the view metadata is not (key, offset, size) inside the storage");
            }

            return new StorageReference(key, type, count, viewOffset, viewCount);
        }

        return new StorageReference(key, type, count, 0, count);
    }

    private static long[]? ToLongs(object? value)
    {
        if (value is not object?[] items)
        {
            return null;
        }

        var result = new long[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i] is not long item || item < 0)
            {
                return null;
            }

            result[i] = item;
        }

        return result;
    }

    private static Dictionary<string, PickleGlobal> BuildAllowList()
    {
        var globals = new List<PickleGlobal>
        {
            new("collections", "OrderedDict", PickleGlobalKind.OrderedDict),
            new("torch._utils", "_rebuild_tensor_v2", PickleGlobalKind.RebuildTensorV2),
            new("torch._utils", "_rebuild_tensor", PickleGlobalKind.RebuildTensor),
            new("torch._utils", "_rebuild_parameter", PickleGlobalKind.RebuildParameter),
            new("torch._utils", "_rebuild_parameter_with_state", PickleGlobalKind.RebuildParameterWithState),
            new("torch", "Size", PickleGlobalKind.Size),
            // The zip format names an untyped storage when the tensor's dtype is carried elsewhere; torch reads it as bytes.
            new("torch.storage", "UntypedStorage", PickleGlobalKind.Storage, torch.ScalarType.Byte, 1),
            new("torch", "UntypedStorage", PickleGlobalKind.Storage, torch.ScalarType.Byte, 1),
        };
        foreach (var (name, type, size) in StorageClasses)
        {
            globals.Add(new PickleGlobal("torch", name, PickleGlobalKind.Storage, type, size));

            // Files saved from a GPU name torch.cuda's storage classes (with location 'cuda:0'); torch.load with
            // map_location='cpu' reads them as CPU storages, and so does this reader: the bytes are the same.
            globals.Add(new PickleGlobal("torch.cuda", name, PickleGlobalKind.Storage, type, size));
        }

        return globals.ToDictionary(g => g.FullName, StringComparer.Ordinal);
    }

    /// <summary>The storage class torch writes for a dtype.</summary>
    public static string StorageClassFor(torch.ScalarType type)
    {
        foreach (var (name, candidate, _) in StorageClasses)
        {
            if (candidate == type)
            {
                return name;
            }
        }

        throw new NotSupportedException($"dtype {type} has no PyTorch storage class this writer knows");
    }
}
