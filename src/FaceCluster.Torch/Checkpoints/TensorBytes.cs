using TorchSharp;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>Raw copies between streams and contiguous CPU tensors.</summary>
internal static class TensorBytes
{
    // TorchSharp's stream copies go through a managed buffer of this size; its 1 KiB default is slow for weights.
    private const int CopyBufferSize = 1 << 20;

    /// <summary>Fills <paramref name="tensor"/> with the next <paramref name="length"/> bytes of <paramref name="stream"/>.</summary>
    /// <exception cref="EndOfStreamException">The stream ends first.</exception>
    public static void Read(torch.Tensor tensor, Stream stream, long length)
    {
        if (length <= int.MaxValue)
        {
            // Tensor.bytes is a span over the tensor's own memory: one copy, straight from the file.
            stream.ReadExactly(tensor.bytes[..(int)length]);
        }
        else
        {
            tensor.ReadBytesFromStream(new ExactReadStream(stream, length), CopyBufferSize);
        }
    }

    /// <summary>Writes the bytes of a contiguous CPU tensor.</summary>
    public static void Write(torch.Tensor tensor, Stream stream)
    {
        if (tensor.NumberOfElements * tensor.ElementSize <= int.MaxValue)
        {
            stream.Write(tensor.bytes);
        }
        else
        {
            tensor.WriteBytesToStream(stream, CopyBufferSize);
        }
    }
}
