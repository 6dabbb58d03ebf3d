using FaceCluster.Torch.Checkpoints;
using TorchSharp;

namespace FaceCluster.Vision;

/// <summary>Loads a PyTorch state dict (facenet-pytorch's <c>pnet.pt</c> and so on, from a file or a stream) into one of the MTCNN networks.</summary>
internal static class MtcnnWeights
{
    /// <summary>Reads <paramref name="path"/> (legacy or zip format) and copies it into <paramref name="module"/>, strictly.</summary>
    /// <exception cref="CheckpointFormatException">Not a checkpoint, or keys or shapes that do not match the network.</exception>
    public static void Load(torch.nn.Module module, string path)
    {
        using var stateDict = PyTorchCheckpoint.Read(path);
        StateDictLoader.LoadStrict(module, stateDict);
    }

    /// <summary>Reads a checkpoint from a seekable <paramref name="stream"/> (named <paramref name="name"/> in errors) into <paramref name="module"/>, strictly.</summary>
    /// <exception cref="CheckpointFormatException">Not a checkpoint, or keys or shapes that do not match the network.</exception>
    public static void Load(torch.nn.Module module, Stream stream, string name)
    {
        using var stateDict = PyTorchCheckpoint.Read(stream, name);
        StateDictLoader.LoadStrict(module, stateDict);
    }
}
