using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using TorchSharp;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// Reads PyTorch checkpoints (<c>torch.save(model.state_dict(), path)</c>) in both formats, and writes the zip format
/// that <c>torch.load(path, weights_only=True)</c> reads. Pickles are interpreted, never executed: only tensors and
/// state-dict containers are allowed.
/// </summary>
public static class PyTorchCheckpoint
{
    // Legacy format: torch.save(..., _use_new_zipfile_serialization=False), the default before torch 1.6.
    private static readonly BigInteger LegacyMagicNumber = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    private const long LegacyProtocolVersion = 1001;

    private const string ArchiveName = "archive";

    // Dicts nested deeper than this are not a checkpoint's layout; through the pickle memo a dict can even contain itself.
    private const int MaxNesting = 16;

    // A tensor may repeat storage elements (stride 0, as torch.expand saves them); beyond this many elements that is
    // a damaged or hostile size, not weights, and would only exhaust memory.
    private const long MaxExpandedElements = 1L << 26;

    /// <summary>
    /// Reads the tensors of a checkpoint in the zip format (torch 1.6 and later) or the legacy format, told apart by
    /// their first bytes. Tensors come back contiguous on the CPU with the file's dtype; entries that are not tensors
    /// are skipped, and nested dicts of tensors are flattened with dotted names (<c>{"model": {"w": t}}</c> gives
    /// <c>model.w</c>).
    /// </summary>
    /// <exception cref="CheckpointFormatException">
    /// The file is not a checkpoint, is truncated or damaged, or its pickle names a class outside the allow-list.
    /// </exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static StateDict Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        TorchRuntime.Initialize();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return ReadChecked(stream, path);
    }

    /// <summary>
    /// Reads a checkpoint like <see cref="Read(string)"/> from a seekable <paramref name="stream"/> (from its start; for
    /// example an embedded resource), naming it <paramref name="name"/> in errors and in <see cref="StateDict"/>. The
    /// stream stays the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    /// <exception cref="CheckpointFormatException">The stream is not a checkpoint, is truncated or damaged, or names a class outside the allow-list.</exception>
    public static StateDict Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException($"{name}: a checkpoint is read from a readable, seekable stream", nameof(stream));
        }

        TorchRuntime.Initialize();
        stream.Position = 0;
        return ReadChecked(stream, name);
    }

    private static StateDict ReadChecked(Stream stream, string path)
    {
        try
        {
            return ReadStream(stream, path);
        }
        catch (OverflowException e)
        {
            throw new CheckpointFormatException(path, $"{path}: a storage or tensor size overflows 64 bits, so the file is damaged", e);
        }
    }

    private static StateDict ReadStream(Stream stream, string path)
    {
        Span<byte> head = stackalloc byte[4];
        var headLength = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (headLength == 4 && head.SequenceEqual("PK\x03\x04"u8))
        {
            return ReadZip(stream, path);
        }

        if (headLength >= 1 && head[0] == 0x80)
        {
            return ReadLegacy(stream, path);
        }

        if (headLength == 0)
        {
            throw new CheckpointFormatException(path, $"{path}: not a PyTorch checkpoint: the file is empty");
        }

        throw new CheckpointFormatException(path,
            $"{path}: not a PyTorch checkpoint: it starts with {Convert.ToHexString(head[..headLength])}, neither a zip " +
            "archive (torch 1.6 and later) nor a pickle (the legacy format); the tar format of torch before 0.4 is not read");
    }

    /// <summary>
    /// Writes <paramref name="stateDict"/> in PyTorch's zip format to <paramref name="path"/>, through a temporary file
    /// renamed into place, so a reader never sees half a checkpoint.
    /// </summary>
    public static void Save(StateDict stateDict, string path)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        Save((IEnumerable<KeyValuePair<string, torch.Tensor>>)stateDict, path);
    }

    /// <summary>Writes the module's <c>state_dict()</c> (parameters and buffers) like <see cref="Save(StateDict, string)"/>.</summary>
    public static void Save(torch.nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(module.state_dict(), path);
    }

    /// <summary>Writes named tensors like <see cref="Save(StateDict, string)"/>; the tensors stay the caller's.</summary>
    public static void Save(IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, string path)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        WriteAtomically(path, file => CheckpointZipWriter.Write(file, ArchiveName, list));
    }

    /// <summary>
    /// Writes a Python object in the zip format, as <c>torch.save(obj, path)</c> would, for objects that are not a plain
    /// state dict: an optimizer's <c>state_dict()</c>, or a checkpoint with metadata. <paramref name="root"/> is a tree of
    /// <see cref="PythonDict"/>, <see cref="PythonTuple"/>, lists, strings, integers, doubles, booleans, nulls and tensors
    /// (the caller's), all of which <c>torch.load(path, weights_only=True)</c> accepts. <see cref="Read(string)"/> reads back its
    /// tensors with dotted names (<c>state.0.exp_avg</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A value with no pickled form here, or nesting deeper than 32.</exception>
    public static void SaveObject(object? root, string path) =>
        WriteAtomically(path, file => CheckpointZipWriter.WriteObject(file, ArchiveName, root));

    /// <summary>Writes through a temporary file renamed into place, so a reader never sees half a checkpoint.</summary>
    private static void WriteAtomically(string path, Action<FileStream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        TorchRuntime.Initialize();
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            // Only left behind when writing failed; after the rename there is nothing to delete.
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    private static StateDict ReadZip(Stream stream, string path)
    {
        using var scope = torch.NewDisposeScope();
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(path, $"{path}: starts like a zip-format checkpoint but is not a readable zip archive (truncated?): {e.Message}", e);
        }

        using (archive)
        {
            try
            {
                var pickleEntry = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/', StringComparison.Ordinal) == e.FullName.Length - "/data.pkl".Length)
                    ?? throw new CheckpointFormatException(path, $"{path}: a zip archive without <archive>/data.pkl, so not a PyTorch checkpoint");
                var prefix = pickleEntry.FullName[..^"data.pkl".Length];

                var byteOrder = archive.GetEntry(prefix + "byteorder");
                if (byteOrder is not null)
                {
                    var order = Encoding.ASCII.GetString(ReadEntry(byteOrder, 64, path)).Trim();
                    if (order != "little")
                    {
                        throw new CheckpointFormatException(path, $"{path}: byteorder is '{order}'; only little-endian checkpoints are read");
                    }
                }

                var storages = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
                object? root;
                using (var pickle = new MemoryStream(ReadEntry(pickleEntry, int.MaxValue, path), writable: false))
                {
                    root = new PickleMachine(pickle, path, id => PickleGlobals.ParseStorageId(id, path)).Run();
                }

                torch.Tensor StorageOf(StorageReference reference)
                {
                    if (storages.TryGetValue(reference.Key, out var cached))
                    {
                        return cached.dtype == reference.Type.StorageType
                            ? cached
                            : throw new CheckpointFormatException(path, $"{path}: storage '{reference.Key}' is named as {cached.dtype} and as {reference.Type.StorageType}");
                    }

                    var entryName = prefix + "data/" + reference.Key;
                    var entry = archive.GetEntry(entryName)
                        ?? throw new CheckpointFormatException(path, $"{path}: unknown storage key '{reference.Key}': the archive has no entry {entryName}");
                    var bytes = checked(reference.RootElementCount * reference.Type.ElementSize);
                    if (entry.Length != bytes)
                    {
                        throw new CheckpointFormatException(path,
                            $"{path}: storage {entryName} holds {entry.Length} bytes, but the pickle declares {reference.RootElementCount} {reference.Type.Name} elements ({bytes} bytes)");
                    }

                    var storage = torch.empty([reference.RootElementCount], reference.Type.StorageType);
                    using (var data = entry.Open())
                    {
                        TensorBytes.Read(storage, data, bytes);
                    }

                    storages.Add(reference.Key, storage);
                    return storage;
                }

                return Materialise(root, StorageOf, path);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                throw new CheckpointFormatException(path, $"{path}: damaged zip archive: {e.Message}", e);
            }
        }
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, int limit, string path)
    {
        if (entry.Length > limit)
        {
            throw new CheckpointFormatException(path, $"{path}: {entry.FullName} is {entry.Length} bytes, more than expected");
        }

        var bytes = new byte[entry.Length];
        using var data = entry.Open();
        data.ReadExactly(bytes);
        return bytes;
    }

    private static StateDict ReadLegacy(Stream stream, string path)
    {
        using var scope = torch.NewDisposeScope();
        var magic = PickleMachine.Load(stream, path);
        if (magic is not BigInteger number || number != LegacyMagicNumber)
        {
            throw new CheckpointFormatException(path,
                $"{path}: bad magic number {PickleMachine.Describe(magic)}: a pickle, but not a legacy PyTorch checkpoint (expected 0x1950a86a20f9469cfc6c)");
        }

        var protocol = PickleMachine.Load(stream, path);
        if (protocol is not long version || version != LegacyProtocolVersion)
        {
            throw new CheckpointFormatException(path, $"{path}: legacy protocol version {PickleMachine.Describe(protocol)}, only {LegacyProtocolVersion} is read");
        }

        var systemInfo = PickleMachine.Load(stream, path) as PickleDict
            ?? throw new CheckpointFormatException(path, $"{path}: the legacy header's system information is not a dict");
        if (systemInfo.TryGetValue("little_endian", out var littleEndian) && littleEndian is false)
        {
            throw new CheckpointFormatException(path, $"{path}: saved on a big-endian machine; only little-endian checkpoints are read");
        }

        // The main pickle names storages by key; their bytes follow after the key list, in that list's order.
        var declared = new Dictionary<string, StorageReference>(StringComparer.Ordinal);
        var root = new PickleMachine(stream, path, id =>
        {
            var reference = PickleGlobals.ParseStorageId(id, path);
            if (declared.TryGetValue(reference.Key, out var earlier) &&
                (earlier.Type != reference.Type || earlier.RootElementCount != reference.RootElementCount))
            {
                throw new CheckpointFormatException(path, $"{path}: storage '{reference.Key}' is declared twice with different types or sizes");
            }

            declared[reference.Key] = reference;
            return reference;
        }).Run();

        var keys = PickleMachine.Load(stream, path) as List<object?>
            ?? throw new CheckpointFormatException(path, $"{path}: the storage key list after the main pickle is missing or not a list");

        var storages = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        Span<byte> countBytes = stackalloc byte[8];
        foreach (var item in keys)
        {
            var key = item as string ?? throw new CheckpointFormatException(path, $"{path}: storage key {PickleMachine.Describe(item)} is not a string");
            if (!declared.TryGetValue(key, out var reference))
            {
                throw new CheckpointFormatException(path, $"{path}: unknown storage key '{key}' in the storage list: no tensor refers to it");
            }

            if (storages.ContainsKey(key))
            {
                throw new CheckpointFormatException(path, $"{path}: storage key '{key}' is listed twice");
            }

            var offset = stream.Position;
            if (stream.Length - offset < 8)
            {
                throw new CheckpointFormatException(path, $"{path}: truncated: the file ends at offset {stream.Length}, before storage '{key}'");
            }

            stream.ReadExactly(countBytes);
            var count = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (count != reference.RootElementCount)
            {
                throw new CheckpointFormatException(path,
                    $"{path}: storage '{key}' at offset {offset} has {count} elements, but the pickle declares {reference.RootElementCount}");
            }

            var bytes = checked(count * reference.Type.ElementSize);
            if (stream.Length - stream.Position < bytes)
            {
                throw new CheckpointFormatException(path,
                    $"{path}: truncated: storage '{key}' needs {bytes} bytes from offset {stream.Position}, but the file ends at {stream.Length}");
            }

            var storage = torch.empty([count], reference.Type.StorageType);
            TensorBytes.Read(storage, stream, bytes);
            storages.Add(key, storage);
        }

        return Materialise(root, reference => storages.TryGetValue(reference.Key, out var storage)
            ? storage
            : throw new CheckpointFormatException(path, $"{path}: unknown storage key '{reference.Key}': a tensor refers to it but the file has no such storage"), path);
    }

    /// <summary>Copies every tensor the pickle describes out of its storage into a contiguous tensor of its own.</summary>
    private static StateDict Materialise(object? root, Func<StorageReference, torch.Tensor> storageOf, string path)
    {
        if (root is not PickleDict dict)
        {
            throw new CheckpointFormatException(path, $"{path}: the checkpoint holds {PickleMachine.Describe(root)}, not a state dict (a dict of tensors)");
        }

        var result = new StateDict(path);
        try
        {
            Add(dict, string.Empty, 0);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }

        void Add(PickleDict level, string prefix, int depth)
        {
            if (depth > MaxNesting)
            {
                throw new CheckpointFormatException(path, $"{path}: dicts nested more than {MaxNesting} deep at '{prefix}' (or a dict that contains itself)");
            }

            foreach (var (key, value) in level.Items)
            {
                var name = prefix + (key as string ?? Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture));
                switch (value)
                {
                    case TensorReference tensor:
                        var built = Build(tensor, storageOf(tensor.Storage), name, path);
                        built.DetachFromDisposeScope();
                        result.Add(name, built);
                        break;
                    case PickleDict nested:
                        Add(nested, name + ".", depth + 1);
                        break;
                    default:
                        // Not a tensor (an epoch number, a config string): nothing a module's state dict could hold.
                        break;
                }
            }
        }
    }

    private static torch.Tensor Build(TensorReference tensor, torch.Tensor storage, string name, string path)
    {
        var start = tensor.Storage.ViewOffset + tensor.StorageOffset;
        var end = tensor.Storage.ViewOffset + tensor.Storage.ViewElementCount;
        var empty = tensor.Shape.Any(d => d == 0);
        try
        {
            // The last element the size and stride address must lie inside the storage (or the view of it).
            var last = start;
            for (var i = 0; i < tensor.Shape.Length; i++)
            {
                last = checked(last + ((tensor.Shape[i] - 1) * tensor.Stride[i]));
            }

            var elements = tensor.Shape.Aggregate(1L, (product, d) => checked(product * d));
            if (elements > tensor.Storage.ViewElementCount && elements > MaxExpandedElements)
            {
                throw new CheckpointFormatException(path,
                    $"{path}: tensor '{name}' of size [{string.Join(",", tensor.Shape)}] has {elements} elements over a storage of {tensor.Storage.ViewElementCount}: refused as damaged");
            }

            if (!empty && last >= end)
            {
                throw new CheckpointFormatException(path,
                    $"{path}: tensor '{name}' of size [{string.Join(",", tensor.Shape)}], stride [{string.Join(",", tensor.Stride)}] at offset {tensor.StorageOffset} reaches element {last - tensor.Storage.ViewOffset} of storage '{tensor.Storage.Key}', which has {tensor.Storage.ViewElementCount}");
            }
        }
        catch (OverflowException e)
        {
            throw new CheckpointFormatException(path, $"{path}: tensor '{name}' has a size and stride that overflow", e);
        }

        var result = torch.empty(tensor.Shape, storage.dtype);
        if (!empty)
        {
            using var view = storage.as_strided(tensor.Shape, tensor.Stride, start);
            result.copy_(view);
        }

        return result;
    }
}
