using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TorchSharp;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// Writes the zip format of <c>torch.save</c>: <c>archive/data.pkl</c> (a protocol-2 pickle of an OrderedDict of
/// <c>torch._utils._rebuild_tensor_v2</c> calls whose storages are persistent ids), <c>archive/byteorder</c>,
/// <c>archive/data/N</c> (raw little-endian storages, stored uncompressed and 64-byte aligned as torch writes them,
/// so they can be memory-mapped) and <c>archive/version</c>; entries carry a fixed 1980 timestamp, so the same
/// weights give the same bytes. The pickle uses only opcodes and globals torch's weights-only unpickler accepts.
/// </summary>
internal static class CheckpointZipWriter
{
    // Python's pickler batches SETITEMS by 1000; torch's unpicklers accept any batch, but staying alike costs nothing.
    private const int SetItemsBatch = 1000;

    // torch.save writes format version 3 for a plain state dict (PyTorchStreamWriter's minimum produced version).
    private const string FormatVersion = "3\n";

    /// <summary>Writes a state dict: an OrderedDict of the named tensors, as <c>torch.save(module.state_dict())</c>.</summary>
    public static void Write(Stream file, string archiveName, IReadOnlyList<KeyValuePair<string, torch.Tensor>> tensors)
    {
        var stateDict = new PythonDict(ordered: true);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, name);
            stateDict.Add(name, tensor);
        }

        WriteObject(file, archiveName, stateDict);
    }

    /// <summary>
    /// Writes <paramref name="root"/>, a tree of <see cref="PythonDict"/>, <see cref="PythonTuple"/>, lists, strings,
    /// integers, doubles, booleans, nulls and tensors, as <c>torch.save</c> would write the same Python object.
    /// </summary>
    public static void WriteObject(Stream file, string archiveName, object? root)
    {
        using var scope = torch.NewDisposeScope();
        var contiguous = new List<torch.Tensor>();
        using var pickle = new PickleBuilder();
        pickle.Protocol(2);
        Emit(root, 0);
        pickle.Stop();
        WriteArchive(file, archiveName, pickle.ToArray(), contiguous);

        void Emit(object? value, int depth)
        {
            if (depth > 32)
            {
                throw new ArgumentException("objects nested more than 32 deep (or one that contains itself)", nameof(root));
            }

            switch (value)
            {
                case null:
                    pickle.None();
                    break;
                case bool flag:
                    pickle.Bool(flag);
                    break;
                case int or long:
                    pickle.Int(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                    break;
                case float or double:
                    pickle.Float(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    break;
                case string text:
                    pickle.Unicode(text);
                    break;
                case torch.Tensor tensor:
                    contiguous.Add(tensor.detach().cpu().contiguous());
                    pickle.RebuildTensor(contiguous.Count - 1, contiguous[^1]);
                    break;
                case PythonTuple tuple:
                    pickle.Mark();
                    foreach (var item in tuple.Items)
                    {
                        Emit(item, depth + 1);
                    }

                    pickle.Tuple();
                    break;
                case PythonDict dict:
                    if (dict.Ordered)
                    {
                        pickle.Global("collections", "OrderedDict");
                        pickle.EmptyTuple();
                        pickle.Reduce();
                    }
                    else
                    {
                        pickle.EmptyDict();
                    }

                    for (var start = 0; start < dict.Count; start += SetItemsBatch)
                    {
                        pickle.Mark();
                        foreach (var (key, item) in dict.Skip(start).Take(SetItemsBatch))
                        {
                            Emit(key, depth + 1);
                            Emit(item, depth + 1);
                        }

                        pickle.SetItems();
                    }

                    break;
                case System.Collections.IList list:
                    pickle.EmptyList();
                    pickle.Mark();
                    foreach (var item in list)
                    {
                        Emit(item, depth + 1);
                    }

                    pickle.Appends();
                    break;
                default:
                    throw new ArgumentException($"a {value.GetType().Name} has no pickled form here (dicts, tuples, lists, str, int, float, bool, None and tensors do)", nameof(root));
            }
        }
    }

    private static void WriteArchive(Stream file, string archiveName, byte[] pickle, List<torch.Tensor> contiguous)
    {
        using var archive = new AlignedZipWriter(file);
        archive.Add($"{archiveName}/data.pkl", pickle);
        archive.Add($"{archiveName}/byteorder", "little"u8.ToArray());
        for (var i = 0; i < contiguous.Count; i++)
        {
            var tensor = contiguous[i];
            archive.Add($"{archiveName}/data/{i.ToString(CultureInfo.InvariantCulture)}", data => TensorBytes.Write(tensor, data));
        }

        archive.Add($"{archiveName}/version", Encoding.ASCII.GetBytes(FormatVersion));
        archive.Finish();
    }

    /// <summary>Emits protocol-2 pickle opcodes.</summary>
    private sealed class PickleBuilder : IDisposable
    {
        private readonly MemoryStream _buffer = new();

        public void Protocol(byte version)
        {
            _buffer.WriteByte(0x80);
            _buffer.WriteByte(version);
        }

        public void Global(string module, string name)
        {
            _buffer.WriteByte((byte)'c');
            _buffer.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
        }

        public void Mark() => _buffer.WriteByte((byte)'(');

        public void Tuple() => _buffer.WriteByte((byte)'t');

        public void EmptyTuple() => _buffer.WriteByte((byte)')');

        public void Reduce() => _buffer.WriteByte((byte)'R');

        public void SetItems() => _buffer.WriteByte((byte)'u');

        public void PersistentId() => _buffer.WriteByte((byte)'Q');

        public void Stop() => _buffer.WriteByte((byte)'.');

        public void Bool(bool value) => _buffer.WriteByte(value ? (byte)0x88 : (byte)0x89);

        public void None() => _buffer.WriteByte((byte)'N');

        public void EmptyDict() => _buffer.WriteByte((byte)'}');

        public void EmptyList() => _buffer.WriteByte((byte)']');

        public void Appends() => _buffer.WriteByte((byte)'e');

        public void Float(double value)
        {
            // BINFLOAT: an IEEE 754 double, big-endian.
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteDoubleBigEndian(bytes, value);
            _buffer.WriteByte((byte)'G');
            _buffer.Write(bytes);
        }

        /// <summary>
        /// <c>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)</c>
        /// over storage <paramref name="storage"/> (a persistent id naming <c>data/N</c>) holding all of <paramref name="tensor"/>.
        /// </summary>
        public void RebuildTensor(int storage, torch.Tensor tensor)
        {
            Global("torch._utils", "_rebuild_tensor_v2");
            Mark();
            Mark();
            Unicode("storage");
            Global("torch", PickleGlobals.StorageClassFor(tensor.dtype));
            Unicode(storage.ToString(CultureInfo.InvariantCulture));
            Unicode("cpu");
            Int(tensor.NumberOfElements);
            Tuple();
            PersistentId();
            Int(0);
            IntTuple(tensor.shape);
            IntTuple(tensor.stride());
            Bool(false);
            Global("collections", "OrderedDict");
            EmptyTuple();
            Reduce();
            Tuple();
            Reduce();
        }

        public void Unicode(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            _buffer.WriteByte((byte)'X');
            _buffer.Write(length);
            _buffer.Write(bytes);
        }

        public void Int(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            if (value is >= 0 and <= byte.MaxValue)
            {
                _buffer.WriteByte((byte)'K');
                _buffer.WriteByte((byte)value);
            }
            else if (value is >= 0 and <= ushort.MaxValue)
            {
                _buffer.WriteByte((byte)'M');
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
                _buffer.Write(bytes[..2]);
            }
            else if (value is >= int.MinValue and <= int.MaxValue)
            {
                _buffer.WriteByte((byte)'J');
                BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
                _buffer.Write(bytes[..4]);
            }
            else
            {
                // LONG1: little-endian two's complement; eight bytes always hold a long.
                _buffer.WriteByte(0x8a);
                _buffer.WriteByte(8);
                BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
                _buffer.Write(bytes);
            }
        }

        public void IntTuple(long[] values)
        {
            if (values.Length == 0)
            {
                EmptyTuple();
                return;
            }

            Mark();
            foreach (var value in values)
            {
                Int(value);
            }

            Tuple();
        }

        public byte[] ToArray() => _buffer.ToArray();

        public void Dispose() => _buffer.Dispose();
    }
}
