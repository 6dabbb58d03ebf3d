using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace FaceCluster.Vision;

/// <summary>One tensor of a TensorFlow.js weights file: its name, shape (TF.js's layout) and values as float32, row-major.</summary>
/// <param name="Name">The manifest's name, e.g. <c>dense0/conv0/filters</c>.</param>
/// <param name="Shape">The manifest's shape.</param>
/// <param name="Values">The values, dequantised where the manifest says they are quantised.</param>
public sealed record TfjsTensor(string Name, IReadOnlyList<int> Shape, float[] Values);

/// <summary>
/// The tensors of a TensorFlow.js weights manifest (<c>*-weights_manifest.json</c>) and its binary shards, as
/// <c>tf.io.loadWeights</c> reads them: the groups' shards are concatenated in order and the tensors are laid out one
/// after another in manifest order.
/// </summary>
/// <remarks>
/// Supported: <c>float32</c>, <c>int32</c> (converted to float) and quantised tensors (<c>quantization.dtype</c>
/// <c>uint8</c> or <c>uint16</c> with <c>scale</c> and <c>min</c>, dequantised as <c>q * scale + min</c>, or
/// <c>float16</c>). Every error is one line naming the tensor and the file.
/// </remarks>
public sealed class TfjsWeights
{
    private readonly Dictionary<string, TfjsTensor> _tensors;

    private TfjsWeights(Dictionary<string, TfjsTensor> tensors, string source)
    {
        _tensors = tensors;
        Source = source;
    }

    /// <summary>What the weights were read from (the manifest's path or a description), for messages.</summary>
    public string Source { get; }

    /// <summary>The tensor names in manifest order.</summary>
    public IReadOnlyCollection<string> Names => _tensors.Keys;

    /// <summary>Reads <paramref name="manifestPath"/> and the shards it names (paths relative to the manifest's folder).</summary>
    /// <exception cref="FileNotFoundException">The manifest or a shard is missing.</exception>
    /// <exception cref="InvalidDataException">A malformed manifest, an unknown dtype or a truncated shard.</exception>
    public static TfjsWeights Load(string manifestPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(manifestPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath)) ?? ".";
        return Read(File.ReadAllText(manifestPath), shard =>
        {
            var path = Path.Combine(folder, shard);
            return File.Exists(path)
                ? File.ReadAllBytes(path)
                : throw new FileNotFoundException($"{manifestPath}: weight shard {path} not found", path);
        }, manifestPath);
    }

    /// <summary>
    /// Parses <paramref name="manifestJson"/> and reads each shard through <paramref name="readShard"/> (given the path
    /// the manifest names); <paramref name="source"/> names the manifest in errors.
    /// </summary>
    /// <exception cref="InvalidDataException">A malformed manifest, an unknown dtype or a truncated shard.</exception>
    public static TfjsWeights Read(string manifestJson, Func<string, byte[]> readShard, string source)
    {
        ArgumentNullException.ThrowIfNull(manifestJson);
        ArgumentNullException.ThrowIfNull(readShard);
        ArgumentNullException.ThrowIfNull(source);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(manifestJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a TF.js weights manifest ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{source}: not a TF.js weights manifest (the top level is not an array of groups)");
            }

            var tensors = new Dictionary<string, TfjsTensor>(StringComparer.Ordinal);
            foreach (var group in document.RootElement.EnumerateArray())
            {
                ReadGroup(group, readShard, source, tensors);
            }

            return new TfjsWeights(tensors, source);
        }
    }

    /// <summary>Whether a tensor of that name is present.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor <paramref name="name"/>; when <paramref name="shape"/> is given its shape must be exactly that.</summary>
    /// <exception cref="InvalidDataException">No such tensor, or another shape.</exception>
    public TfjsTensor Get(string name, params int[]? shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_tensors.TryGetValue(name, out var tensor))
        {
            throw new InvalidDataException($"{Source}: tensor '{name}' is missing");
        }

        if (shape is { Length: > 0 } && !tensor.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException(
                $"{Source}: tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{string.Join(", ", shape)}]");
        }

        return tensor;
    }

    private static void ReadGroup(JsonElement group, Func<string, byte[]> readShard, string source, Dictionary<string, TfjsTensor> tensors)
    {
        if (group.ValueKind != JsonValueKind.Object
            || !group.TryGetProperty("paths", out var paths) || paths.ValueKind != JsonValueKind.Array
            || !group.TryGetProperty("weights", out var weights) || weights.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException($"{source}: a manifest group lacks 'paths' or 'weights'");
        }

        // tf.io.loadWeights concatenates a group's shards and reads the tensors from the whole.
        var shardNames = paths.EnumerateArray().Select(p => p.GetString() ?? string.Empty).ToArray();
        var data = shardNames.SelectMany(readShard).ToArray();
        var files = string.Join(" + ", shardNames);
        var offset = 0L;
        foreach (var weight in weights.EnumerateArray())
        {
            var name = weight.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : string.Empty;
            if (name.Length == 0)
            {
                throw new InvalidDataException($"{source}: a weight entry has no name");
            }

            var shape = ReadShape(weight, name, source);
            var count = shape.Aggregate(1L, (a, d) => a * d);
            var (storage, decode) = Decoder(weight, name, source);
            var bytes = count * storage;
            if (offset + bytes > data.LongLength)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: tensor '{name}' needs bytes {offset}..{offset + bytes} of {files}, which holds {data.LongLength} (truncated shard)"));
            }

            var values = new float[count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = decode(data.AsSpan((int)(offset + i * storage), storage));
            }

            offset += bytes;
            if (!tensors.TryAdd(name, new TfjsTensor(name, shape, values)))
            {
                throw new InvalidDataException($"{source}: tensor '{name}' appears twice");
            }
        }
    }

    private static int[] ReadShape(JsonElement weight, string name, string source)
    {
        if (!weight.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || shape.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var v) || v < 0))
        {
            throw new InvalidDataException($"{source}: tensor '{name}' has no valid shape");
        }

        return [.. shape.EnumerateArray().Select(d => d.GetInt32())];
    }

    private delegate float Decode(ReadOnlySpan<byte> bytes);

    /// <summary>The bytes per value and the decoding of one value, from the entry's dtype and quantisation.</summary>
    private static (int Bytes, Decode Decode) Decoder(JsonElement weight, string name, string source)
    {
        var dtype = weight.TryGetProperty("dtype", out var d) ? d.GetString() : null;
        if (dtype is not ("float32" or "int32"))
        {
            throw new InvalidDataException($"{source}: tensor '{name}' has dtype '{dtype}', not float32 or int32");
        }

        if (!weight.TryGetProperty("quantization", out var q))
        {
            return dtype == "float32"
                ? (4, b => BinaryPrimitives.ReadSingleLittleEndian(b))
                : (4, b => BinaryPrimitives.ReadInt32LittleEndian(b));
        }

        var qtype = q.TryGetProperty("dtype", out var qd) ? qd.GetString() : null;
        if (qtype == "float16")
        {
            return (2, b => (float)BinaryPrimitives.ReadHalfLittleEndian(b));
        }

        if (qtype is not ("uint8" or "uint16"))
        {
            throw new InvalidDataException($"{source}: tensor '{name}' has quantisation dtype '{qtype}', not uint8, uint16 or float16");
        }

        if (!q.TryGetProperty("scale", out var s) || s.ValueKind != JsonValueKind.Number
            || !q.TryGetProperty("min", out var m) || m.ValueKind != JsonValueKind.Number)
        {
            throw new InvalidDataException($"{source}: tensor '{name}' is quantised without a numeric scale and min");
        }

        // TF.js dequantises in float32: Float32Array of q * scale + min computed in doubles.
        var scale = s.GetDouble();
        var min = m.GetDouble();
        return qtype == "uint8"
            ? (1, b => (float)(b[0] * scale + min))
            : (2, b => (float)(BinaryPrimitives.ReadUInt16LittleEndian(b) * scale + min));
    }
}
