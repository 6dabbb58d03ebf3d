namespace FaceCluster.Vision.Tests;

/// <summary>One detector with facenet-pytorch's weights from <c>../shared/models/mtcnn</c>, shared by a test class.</summary>
public sealed class MtcnnFixture : IDisposable
{
    public MtcnnFixture() => Detector = Mtcnn.Load(RepositoryFiles.Models, new MtcnnOptions { Device = "cpu" });

    public Mtcnn Detector { get; }

    public void Dispose() => Detector.Dispose();
}
