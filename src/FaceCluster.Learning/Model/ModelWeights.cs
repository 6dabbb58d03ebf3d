using static TorchSharp.torch;

namespace FaceCluster.Learning.Model;

/// <summary>
/// Reading and writing weights. INTERIM: TorchSharp's own format until FaceCluster.Torch.Checkpoints (PyTorch zip and
/// legacy formats) is on main; then every method here calls it.
/// </summary>
public static class ModelWeights
{
    /// <summary>Writes the network's state dict to <paramref name="path"/>.</summary>
    public static void Save(nn.Module network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        var temporary = path + ".tmp";
        network.save(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Loads every parameter and buffer of <paramref name="network"/> from <paramref name="path"/>, strictly.</summary>
    public static void Load(nn.Module network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.load(path, strict: true);
    }

    /// <summary>
    /// Loads a facenet-pytorch InceptionResnetV1 checkpoint into <paramref name="network"/>: every key but
    /// <c>logits.*</c> (facenet-pytorch's VGGFace2 classifier), which keeps its initialisation.
    /// </summary>
    public static void LoadBackbone(InceptionResnetV1 network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.load(path, strict: false, skip: ["logits.weight", "logits.bias"]);
    }
}
