using FaceCluster.Torch;
using FaceCluster.Torch.Checkpoints;
using static TorchSharp.torch;

namespace FaceCluster.Vision.Tests;

/// <summary>
/// PNet, RNet and ONet with facenet-pytorch's weights on fixed inputs, against values from an independent NumPy
/// implementation (reference/mtcnn_numpy.py, float64, reading the legacy checkpoints with the standard library).
/// </summary>
public sealed class NetworkReferenceTests
{
    private const double Tolerance = 1e-4;

    // From reference/mtcnn_numpy.py (see reference/README.md).
    private static readonly float[] PNetRegression = [0.06884244f, 0.08596695f, 0.03978424f, 0.05067383f, 0.001864872f, 0.07742333f, 0.1075086f, 0.04339873f, 0.1294061f, 0.08392127f, 0.1421725f, 0.1025398f, 0.000451731f, -0.02481662f, 0.02537464f, 0.1027853f, 0.05631894f, 0.1757124f, 0.2923758f, 0.1971171f, 0.107639f, 0.1212439f, 0.106523f, 0.08726592f, -0.04206144f, -0.07320239f, -0.09941159f, -0.1036755f, -0.08410727f, -0.1647298f, -0.09255394f, -0.05828693f, 0.02267904f, -0.08680716f, 0.002540758f, 0.1002793f, 0.1006913f, 0.01693f, 0.06149426f, 0.1048422f, 0.126037f, 0.1024886f, 0.3729511f, 0.275588f, 0.1575188f, 0.1573516f, 0.1201912f, 0.2572287f, -0.007823122f, 0.01271524f, 0.09799264f, 0.08853518f, 0.02275168f, 0.1173549f, 0.1146618f, 0.1502907f, 0.1019857f, 0.07288269f, 0.1533849f, 0.112692f, -0.03973176f, -0.05660788f, 0.08767194f, 0.1811996f, 0.02419762f, 0.1460294f, 0.2431235f, 0.2494118f, 0.2306049f, 0.1234005f, 0.1164375f, 0.0796645f, -0.1035842f, -0.07049487f, -0.06938804f, -0.1012884f, -0.04630034f, -0.0597855f, -0.09288581f, -0.01873548f, -0.01366488f, 0.00461912f, 0.04242639f, 0.06285017f, 0.06102957f, 0.07057907f, 0.07481158f, 0.2103796f, 0.09054201f, 0.1736238f, 0.3003467f, 0.2850403f, 0.3128445f, 0.2102958f, 0.1968536f, 0.1935304f];
    private static readonly float[] PNetProbabilities = [0.9831468f, 0.9063256f, 0.9948779f, 0.9913867f, 0.969435f, 0.9834645f, 0.9996519f, 0.9983443f, 0.9773029f, 0.9952227f, 0.9961893f, 0.9896549f, 0.01685317f, 0.09367442f, 0.005122053f, 0.008613281f, 0.03056499f, 0.01653553f, 0.0003480904f, 0.001655739f, 0.02269706f, 0.004777257f, 0.003810709f, 0.0103451f, 0.8594455f, 0.9790274f, 0.9765987f, 0.9970407f, 0.9887322f, 0.9978788f, 0.998613f, 0.9999361f, 0.9925359f, 0.9934974f, 0.9931923f, 0.9924206f, 0.1405545f, 0.02097263f, 0.02340127f, 0.002959264f, 0.01126781f, 0.0021212f, 0.001386997f, 6.390656e-05f, 0.007464126f, 0.006502566f, 0.006807715f, 0.007579389f];
    private static readonly float[] RNetRegression = [-0.05352403f, -0.04540674f, 0.03065932f, 0.09297868f, -0.0203036f, -0.003146482f, -0.002775563f, 0.08105803f];
    private static readonly float[] RNetProbabilities = [0.9997008f, 0.0002992194f, 0.9990635f, 0.0009365357f];
    private static readonly float[] ONetRegression = [-0.01281083f, 0.09351887f, -0.05322491f, 0.09712526f, -0.02187395f, 0.1220778f, -0.08273621f, 0.1319484f];
    private static readonly float[] ONetLandmarks = [0.2844978f, 0.5738916f, 0.565265f, 0.5371844f, 0.7966097f, 0.5285571f, 0.2648627f, 0.6569376f, 0.9284017f, 0.704319f, 0.2840773f, 0.5771643f, 0.5549969f, 0.5127246f, 0.7677975f, 0.5115198f, 0.2751564f, 0.6505757f, 0.9367639f, 0.7370792f];
    private static readonly float[] ONetProbabilities = [0.9991346f, 0.0008654393f, 0.998702f, 0.001298036f];

    public NetworkReferenceTests() => TorchRuntime.Initialize();

    [Fact]
    public void PNet_matches_the_numpy_reference()
    {
        using var pnet = Load(new PNet(), "pnet.pt");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (regression, probabilities) = pnet.call(FixedInput(2, 15, 17, channelsLast: true));

        Assert.Equal([2, 4, 3, 4], regression.shape);
        AssertClose(PNetRegression, regression);
        AssertClose(PNetProbabilities, probabilities);
    }

    [Fact]
    public void RNet_matches_the_numpy_reference()
    {
        using var rnet = Load(new RNet(), "rnet.pt");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (regression, probabilities) = rnet.call(FixedInput(2, 24, 24, channelsLast: true));

        AssertClose(RNetRegression, regression);
        AssertClose(RNetProbabilities, probabilities);
    }

    [Fact]
    public void ONet_matches_the_numpy_reference()
    {
        using var onet = Load(new ONet(), "onet.pt");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (regression, landmarks, probabilities) = onet.call(FixedInput(2, 48, 48, channelsLast: true));

        AssertClose(ONetRegression, regression);
        AssertClose(ONetLandmarks, landmarks);
        AssertClose(ONetProbabilities, probabilities);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(265)]
    public void A_batch_gives_each_crop_what_it_gives_alone(int count)
    {
        // Guards against the oneDNN fault seen on this machine (AMD Zen 5): NCHW input with 28 channels gave wrong
        // convolutions once the batch held more than one crop. Mtcnn feeds channels-last tensors, as here.
        using var rnet = Load(new RNet(), "rnet.pt");
        using var onet = Load(new ONet(), "onet.pt");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var small = FixedInput(count, 24, 24, channelsLast: true);
        var large = FixedInput(Math.Min(count, 40), 48, 48, channelsLast: true);
        var (rBatch, _) = rnet.call(small);
        var (oBatch, _, _) = onet.call(large);
        foreach (var i in new[] { 0, count / 2, count - 1 })
        {
            var (rAlone, _) = rnet.call(small.narrow(0, i, 1));
            Assert.True(rAlone.allclose(rBatch.narrow(0, i, 1), rtol: 1e-4, atol: 1e-5), $"RNet crop {i} of {count}");
        }

        var last = (int)large.shape[0] - 1;
        var (oAlone, _, _) = onet.call(large.narrow(0, last, 1));
        Assert.True(oAlone.allclose(oBatch.narrow(0, last, 1), rtol: 1e-4, atol: 1e-5), $"ONet crop {last}");
    }

    [Fact]
    public void Loading_is_strict_about_keys()
    {
        // RNet's weights do not fit ONet: the error names the checkpoint and the problem keys.
        using var onet = new ONet();
        var error = Assert.Throws<CheckpointFormatException>(() => MtcnnWeights.Load(onet, Path.Combine(RepositoryFiles.Models, "rnet.pt")));
        Assert.Contains("rnet.pt", error.Message, StringComparison.Ordinal);
        Assert.Contains("dense4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_names_the_missing_file()
    {
        using var temp = new TempFolder();
        File.Copy(Path.Combine(RepositoryFiles.Models, "pnet.pt"), temp.File("pnet.pt"));
        var error = Assert.Throws<FileNotFoundException>(() => Mtcnn.Load(temp.Path));
        Assert.Contains("rnet.pt", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The fixed input of the reference: ((31 h + 17 w + 7 c + 13 n) mod 255) / 127.5 - 1.</summary>
    internal static Tensor FixedInput(int n, int h, int w, bool channelsLast)
    {
        var values = new float[n * 3 * h * w];
        var i = 0;
        for (var a = 0; a < n; a++)
        {
            for (var c = 0; c < 3; c++)
            {
                for (var y = 0; y < h; y++)
                {
                    for (var x = 0; x < w; x++)
                    {
                        values[i++] = (float)((((31 * y) + (17 * x) + (7 * c) + (13 * a)) % 255 / 127.5) - 1);
                    }
                }
            }
        }

        var nchw = tensor(values, [n, 3, h, w]);
        return channelsLast ? nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : nchw;
    }

    private static T Load<T>(T module, string file)
        where T : nn.Module
    {
        MtcnnWeights.Load(module, Path.Combine(RepositoryFiles.Models, file));
        module.eval();
        return module;
    }

    private static void AssertClose(float[] expected, Tensor actual)
    {
        var values = actual.contiguous().data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - expected[i]) <= Tolerance, $"value {i}: expected {expected[i]}, got {values[i]}");
        }
    }
}
