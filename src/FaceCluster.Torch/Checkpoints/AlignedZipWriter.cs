using System.Buffers.Binary;
using System.Text;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// Writes an uncompressed zip archive the way PyTorch's <c>PyTorchStreamWriter</c> does: every entry's data starts at
/// a multiple of 64 bytes, padded by an extra field with id "FB" in the local header, so torch can memory-map
/// storages (<c>torch.load(..., mmap=True)</c>) and read them in place.
/// </summary>
/// <remarks>No zip64: an archive is limited to 4 GiB and 65,535 entries, and larger ones are refused.</remarks>
internal sealed class AlignedZipWriter : IDisposable
{
    private const int Alignment = 64;
    private const int LocalHeaderSize = 30;
    private const int ExtraFieldHeaderSize = 4;
    private const ushort VersionNeeded = 20;
    private const ushort DosDate1980January1 = (1 << 5) | 1;

    // Unix regular file, rw-r--r--, in the high half of the external attributes ("made by" Unix).
    private const uint UnixFileAttributes = 0x81A4u << 16;
    private const ushort VersionMadeByUnix = (3 << 8) | 20;

    private readonly Stream _stream;
    private readonly List<(string Name, uint Crc, uint Size, uint Offset)> _entries = [];
    private bool _finished;

    /// <param name="stream">Seekable and positioned at 0: each local header is patched with its CRC after the data.</param>
    public AlignedZipWriter(Stream stream)
    {
        if (!stream.CanSeek || !stream.CanWrite)
        {
            throw new ArgumentException("The zip writer needs a seekable, writable stream", nameof(stream));
        }

        _stream = stream;
    }

    /// <summary>Adds an entry whose data <paramref name="writeData"/> writes to the stream it is given.</summary>
    public void Add(string name, Action<Stream> writeData)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var headerOffset = _stream.Position;
        var unpadded = headerOffset + LocalHeaderSize + nameBytes.Length + ExtraFieldHeaderSize;
        var padding = (int)((Alignment - (unpadded % Alignment)) % Alignment);

        Span<byte> header = stackalloc byte[LocalHeaderSize];
        WriteLocalHeader(header, crc: 0, size: 0, nameBytes.Length, ExtraFieldHeaderSize + padding);
        _stream.Write(header);
        _stream.Write(nameBytes);
        Span<byte> extra = stackalloc byte[ExtraFieldHeaderSize + padding];
        extra.Fill((byte)'Z');
        extra[0] = (byte)'F';
        extra[1] = (byte)'B';
        BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)padding);
        _stream.Write(extra);

        var dataOffset = _stream.Position;
        var crcStream = new Crc32Stream(_stream);
        writeData(crcStream);
        var size = _stream.Position - dataOffset;
        if (_stream.Position > uint.MaxValue || _entries.Count == ushort.MaxValue)
        {
            throw new NotSupportedException("The checkpoint would exceed 4 GiB or 65,535 entries, which needs zip64; this writer does not write it");
        }

        // Patch CRC and sizes into the local header now that the data is written.
        var end = _stream.Position;
        WriteLocalHeader(header, crcStream.Crc, (uint)size, nameBytes.Length, ExtraFieldHeaderSize + padding);
        _stream.Position = headerOffset;
        _stream.Write(header);
        _stream.Position = end;
        _entries.Add((name, crcStream.Crc, (uint)size, (uint)headerOffset));
    }

    /// <summary>Adds an entry holding <paramref name="content"/>.</summary>
    public void Add(string name, ReadOnlyMemory<byte> content) => Add(name, stream => stream.Write(content.Span));

    /// <summary>Writes the central directory; the archive is complete afterwards.</summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        var directoryOffset = _stream.Position;
        Span<byte> record = stackalloc byte[46];
        foreach (var (name, crc, size, offset) in _entries)
        {
            var nameBytes = Encoding.ASCII.GetBytes(name);
            record.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(record, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(record[4..], VersionMadeByUnix);
            BinaryPrimitives.WriteUInt16LittleEndian(record[6..], VersionNeeded);
            BinaryPrimitives.WriteUInt16LittleEndian(record[14..], DosDate1980January1);
            BinaryPrimitives.WriteUInt32LittleEndian(record[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(record[20..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(record[24..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(record[28..], (ushort)nameBytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[38..], UnixFileAttributes);
            BinaryPrimitives.WriteUInt32LittleEndian(record[42..], offset);
            _stream.Write(record);
            _stream.Write(nameBytes);
        }

        var directorySize = _stream.Position - directoryOffset;
        if (_stream.Position > uint.MaxValue)
        {
            throw new NotSupportedException("The checkpoint would exceed 4 GiB, which needs zip64; this writer does not write it");
        }

        Span<byte> end = stackalloc byte[22];
        end.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)_entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)directoryOffset);
        _stream.Write(end);
    }

    /// <summary>Nothing to release: the stream is the caller's. An unfinished archive simply has no directory.</summary>
    public void Dispose() => _finished = true;

    private static void WriteLocalHeader(Span<byte> header, uint crc, uint size, int nameLength, int extraLength)
    {
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], VersionNeeded);
        BinaryPrimitives.WriteUInt16LittleEndian(header[12..], DosDate1980January1);
        BinaryPrimitives.WriteUInt32LittleEndian(header[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(header[18..], size);
        BinaryPrimitives.WriteUInt32LittleEndian(header[22..], size);
        BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameLength);
        BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)extraLength);
    }

    /// <summary>Passes writes through and keeps the zip CRC-32 (IEEE 802.3, reflected) of what went by.</summary>
    private sealed class Crc32Stream(Stream inner) : Stream
    {
        private static readonly uint[] Table = BuildTable();
        private uint _state = 0xFFFFFFFFu;

        public uint Crc => ~_state;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var state = _state;
            foreach (var value in buffer)
            {
                state = Table[(state ^ value) & 0xFF] ^ (state >> 8);
            }

            _state = state;
            inner.Write(buffer);
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private static uint[] BuildTable()
        {
            var table = new uint[256];
            for (uint i = 0; i < 256; i++)
            {
                var value = i;
                for (var bit = 0; bit < 8; bit++)
                {
                    value = (value & 1) != 0 ? 0xEDB88320u ^ (value >> 1) : value >> 1;
                }

                table[i] = value;
            }

            return table;
        }
    }
}
