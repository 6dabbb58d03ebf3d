using FaceCluster.Tables;
using FaceCluster.Torch.Checkpoints;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Model;

/// <summary>
/// Weights as PyTorch checkpoints (FaceCluster.Torch.Checkpoints): written in the zip format that
/// <c>torch.load(path, weights_only=True)</c> reads, read in the zip or the legacy format, loaded strictly by name.
/// </summary>
public static class ModelWeights
{
    /// <summary>Writes the network's state dict to <paramref name="path"/> (zip format, atomically).</summary>
    public static void Save(nn.Module network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        PyTorchCheckpoint.Save(network, path);
    }

    /// <summary>Loads every parameter and buffer of <paramref name="network"/> from <paramref name="path"/>, strictly.</summary>
    /// <exception cref="InvalidInputException">The file is not a checkpoint of this network (lists missing, unexpected and misshapen keys).</exception>
    public static void Load(nn.Module network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        Load(network, path, new StateDictLoadOptions());
    }

    /// <summary>
    /// Loads a facenet-pytorch InceptionResnetV1 checkpoint (for example <c>20180402-114759-vggface2.pt</c>, legacy
    /// format) into <paramref name="network"/>: every key but <c>logits.*</c> (facenet-pytorch's VGGFace2 classifier,
    /// 8,631 identities), so the trunk, <c>block8</c>, <c>last_linear</c> and <c>last_bn</c> start from it, as with
    /// facenet-pytorch's <c>InceptionResnetV1(pretrained='vggface2', classify=True, num_classes=K)</c>, and
    /// <c>logits</c> keeps its initialisation.
    /// </summary>
    /// <exception cref="InvalidInputException">The file is not an InceptionResnetV1 checkpoint.</exception>
    public static void LoadBackbone(InceptionResnetV1 network, string path) =>
        Load(network, path, new StateDictLoadOptions { IgnoreCheckpointKeys = ["logits.*"], IgnoreModuleKeys = ["logits.*"] });

    private static void Load(nn.Module network, string path, StateDictLoadOptions options)
    {
        try
        {
            using var state = PyTorchCheckpoint.Read(path);
            StateDictLoader.LoadStrict(network, state, options);
        }
        catch (CheckpointFormatException e)
        {
            throw new InvalidInputException(InvalidInputException.OneLine(e.Message), e);
        }
    }
}
