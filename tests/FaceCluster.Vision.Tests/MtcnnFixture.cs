namespace FaceCluster.Vision.Tests;

/// <summary>One detector with facenet-pytorch's weights as built into FaceCluster.Vision, shared by a test class.</summary>
public sealed class MtcnnFixture : IDisposable
{
    public MtcnnFixture() => Detector = Mtcnn.LoadEmbedded(new MtcnnOptions { Device = "cpu" });

    public Mtcnn Detector { get; }

    public void Dispose() => Detector.Dispose();
}
