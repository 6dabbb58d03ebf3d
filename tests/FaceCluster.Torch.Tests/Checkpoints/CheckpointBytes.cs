using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;

namespace FaceCluster.Torch.Tests.Checkpoints;

/// <summary>Hand-written pickle opcodes, for checkpoints the writer under test would never produce.</summary>
internal sealed class PickleOps
{
    private readonly List<byte> _bytes = [];

    public PickleOps Proto(byte version) => Op(0x80, version);

    public PickleOps Global(string module, string name) => Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleOps StackGlobal() => Op(0x93);

    public PickleOps Str(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length < 256 ? Op(0x8c, (byte)bytes.Length).Raw(bytes) : Op((byte)'X').Raw(LittleEndian(bytes.Length)).Raw(bytes);
    }

    public PickleOps Int(int value) => value is >= 0 and < 256 ? Op((byte)'K', (byte)value) : Op((byte)'J').Raw(LittleEndian(value));

    public PickleOps Long(BigInteger value)
    {
        var bytes = value.ToByteArray(isUnsigned: false, isBigEndian: false);
        return Op(0x8a, (byte)bytes.Length).Raw(bytes);
    }

    public PickleOps Ints(params int[] values)
    {
        Mark();
        foreach (var value in values)
        {
            Int(value);
        }

        return Tuple();
    }

    public PickleOps Put(byte index) => Op((byte)'q', index);

    public PickleOps Get(byte index) => Op((byte)'h', index);

    public PickleOps Append() => Op((byte)'a');

    public PickleOps Mark() => Op((byte)'(');

    public PickleOps Tuple() => Op((byte)'t');

    public PickleOps Tuple1() => Op(0x85);

    public PickleOps EmptyTuple() => Op((byte)')');

    public PickleOps EmptyDict() => Op((byte)'}');

    public PickleOps EmptyList() => Op((byte)']');

    public PickleOps Appends() => Op((byte)'e');

    public PickleOps SetItem() => Op((byte)'s');

    public PickleOps SetItems() => Op((byte)'u');

    public PickleOps Reduce() => Op((byte)'R');

    public PickleOps PersistentId() => Op((byte)'Q');

    public PickleOps None() => Op((byte)'N');

    public PickleOps True() => Op(0x88);

    public PickleOps False() => Op(0x89);

    public PickleOps Stop() => Op((byte)'.');

    /// <summary>OrderedDict() on the stack.</summary>
    public PickleOps OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>_rebuild_tensor_v2(('storage', torch.FloatStorage, key, 'cpu', numel[, view]), offset, size, stride, False, OrderedDict()).</summary>
    public PickleOps FloatTensor(string key, int storageElements, int offset, int[] size, int[] stride, Action<PickleOps>? view = null, string storageModule = "torch", string location = "cpu")
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global(storageModule, "FloatStorage").Str(key).Str(location).Int(storageElements);
        if (view is not null)
        {
            view(this);
        }

        Tuple().PersistentId();
        Int(offset).Ints(size).Ints(stride).False().OrderedDict();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => [.. _bytes];

    private PickleOps Op(params byte[] bytes) => Raw(bytes);

    private PickleOps Raw(byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    private static byte[] LittleEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }
}

/// <summary>Writes checkpoint containers around hand-written pickles.</summary>
internal static class CheckpointBytes
{
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>A zip-format checkpoint: archive/data.pkl, archive/data/KEY, archive/byteorder, archive/version.</summary>
    public static void WriteZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages)
    {
        using var file = File.Create(path);
        using var archive = new ZipArchive(file, ZipArchiveMode.Create);
        void Entry(string name, byte[] content)
        {
            using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stream.Write(content);
        }

        Entry("archive/data.pkl", pickle);
        Entry("archive/byteorder", "little"u8.ToArray());
        foreach (var (key, bytes) in storages)
        {
            Entry($"archive/data/{key}", bytes);
        }

        Entry("archive/version", "3\n"u8.ToArray());
    }

    /// <summary>
    /// A legacy checkpoint: magic number, protocol 1001, system info, <paramref name="pickle"/>, the storage keys,
    /// then each storage as an int64 element count and little-endian float32 values.
    /// </summary>
    public static void WriteLegacy(string path, byte[] pickle, IReadOnlyList<(string Key, float[] Values)> storages, BigInteger? magic = null)
    {
        using var file = File.Create(path);
        file.Write(new PickleOps().Proto(2).Long(magic ?? BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber)).Stop().ToArray());
        file.Write(new PickleOps().Proto(2).Int(1001).Stop().ToArray());
        file.Write(new PickleOps().Proto(2).EmptyDict().Str("little_endian").True().SetItem().Stop().ToArray());
        file.Write(pickle);
        var keys = new PickleOps().Proto(2).EmptyList().Mark();
        foreach (var (key, _) in storages)
        {
            keys.Str(key);
        }

        file.Write(keys.Appends().Stop().ToArray());
        var count = new byte[8];
        foreach (var (_, values) in storages)
        {
            BinaryPrimitives.WriteInt64LittleEndian(count, values.Length);
            file.Write(count);
            file.Write(Floats(values));
        }
    }
}
