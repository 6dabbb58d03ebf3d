using TorchSharp;

namespace FaceCluster.Vision;

/// <summary>Loads a PyTorch state dict into one of the MTCNN networks.</summary>
internal static class MtcnnWeights
{
    public static void Load(torch.nn.Module module, string path) =>
        throw new NotSupportedException(
            $"{path}: reading PyTorch checkpoints arrives with FaceCluster.Torch's checkpoint reader (branch 'checkpoints'); until then use Mtcnn.Create with networks loaded another way");
}
