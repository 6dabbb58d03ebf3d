using FaceCluster.Torch.Checkpoints;
using TorchSharp;

namespace FaceCluster.Vision;

internal static class MtcnnWeights
{
    public static void Load(torch.nn.Module module, string path)
    {
        using var weights = PyTorchCheckpoint.Read(path);
        StateDictLoader.LoadStrict(module, weights);
    }
}
