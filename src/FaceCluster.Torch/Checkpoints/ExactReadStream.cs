namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// A read-only view of the next <c>length</c> bytes of a stream whose reads always fill the buffer: TorchSharp's
/// <c>ReadBytesFromStream</c> copies chunk by chunk and a short read (a deflate stream, a pipe) would leave a hole in
/// the tensor. Running out before <c>length</c> bytes is an <see cref="EndOfStreamException"/>.
/// </summary>
internal sealed class ExactReadStream : Stream
{
    private readonly Stream _inner;
    private readonly long _length;
    private long _remaining;

    public ExactReadStream(Stream inner, long length)
    {
        _inner = inner;
        _length = length;
        _remaining = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _length;

    public override long Position
    {
        get => _length - _remaining;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var wanted = (int)Math.Min(buffer.Length, _remaining);
        _inner.ReadExactly(buffer[..wanted]);
        _remaining -= wanted;
        return wanted;
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
