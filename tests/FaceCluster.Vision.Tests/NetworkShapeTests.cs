using FaceCluster.Torch;
using static TorchSharp.torch;

namespace FaceCluster.Vision.Tests;

/// <summary>The networks' structure, with PyTorch's random initialisation (no weights needed).</summary>
public sealed class NetworkShapeTests
{
    public NetworkShapeTests() => TorchRuntime.Initialize();

    [Fact]
    public void Parameter_names_and_shapes_are_facenet_pytorchs_state_dict_keys()
    {
        using var pnet = new PNet();
        using var rnet = new RNet();
        using var onet = new ONet();

        Assert.Equal(
            "conv1.weight 10x3x3x3, conv1.bias 10, prelu1.weight 10, conv2.weight 16x10x3x3, conv2.bias 16, prelu2.weight 16, " +
            "conv3.weight 32x16x3x3, conv3.bias 32, prelu3.weight 32, conv4_1.weight 2x32x1x1, conv4_1.bias 2, conv4_2.weight 4x32x1x1, conv4_2.bias 4",
            Describe(pnet));
        Assert.Equal(
            "conv1.weight 28x3x3x3, conv1.bias 28, prelu1.weight 28, conv2.weight 48x28x3x3, conv2.bias 48, prelu2.weight 48, " +
            "conv3.weight 64x48x2x2, conv3.bias 64, prelu3.weight 64, dense4.weight 128x576, dense4.bias 128, prelu4.weight 128, " +
            "dense5_1.weight 2x128, dense5_1.bias 2, dense5_2.weight 4x128, dense5_2.bias 4",
            Describe(rnet));
        Assert.Equal(
            "conv1.weight 32x3x3x3, conv1.bias 32, prelu1.weight 32, conv2.weight 64x32x3x3, conv2.bias 64, prelu2.weight 64, " +
            "conv3.weight 64x64x3x3, conv3.bias 64, prelu3.weight 64, conv4.weight 128x64x2x2, conv4.bias 128, prelu4.weight 128, " +
            "dense5.weight 256x1152, dense5.bias 256, prelu5.weight 256, dense6_1.weight 2x256, dense6_1.bias 2, " +
            "dense6_2.weight 4x256, dense6_2.bias 4, dense6_3.weight 10x256, dense6_3.bias 10",
            Describe(onet));
    }

    [Theory]
    [InlineData(12, 12, 1, 1)]
    [InlineData(15, 17, 3, 4)] // odd sizes: the ceil-mode pooling keeps the last partial window
    [InlineData(289, 385, 140, 188)]
    public void PNet_gives_one_cell_per_12_pixel_window_at_stride_2(int height, int width, int outHeight, int outWidth)
    {
        using var pnet = new PNet();
        pnet.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (regression, probabilities) = pnet.call(randn(2, 3, height, width));

        Assert.Equal([2, 4, outHeight, outWidth], regression.shape);
        Assert.Equal([2, 2, outHeight, outWidth], probabilities.shape);
        Assert.True(probabilities.sum(1).allclose(ones(2, outHeight, outWidth)));
    }

    [Fact]
    public void RNet_and_ONet_take_24_and_48_pixel_crops()
    {
        using var rnet = new RNet();
        using var onet = new ONet();
        rnet.eval();
        onet.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Channels-last input, as Mtcnn gives them: oneDNN's NCHW convolution with RNet's 28 channels returns NaN
        // now and then for batches above one on these machines (about 1 call in 100 here; docs/vision.md).
        var (rReg, rProb) = rnet.call(randn(5, 24, 24, 3).permute(0, 3, 1, 2));
        var (oReg, oMarks, oProb) = onet.call(randn(5, 48, 48, 3).permute(0, 3, 1, 2));

        Assert.Equal([5, 4], rReg.shape);
        Assert.Equal([5, 2], rProb.shape);
        Assert.Equal([5, 4], oReg.shape);
        Assert.Equal([5, 10], oMarks.shape);
        Assert.Equal([5, 2], oProb.shape);
        Assert.True(rProb.sum(1).allclose(ones(5)));
        Assert.True(oProb.sum(1).allclose(ones(5)));
    }

    private static string Describe(nn.Module module) =>
        string.Join(", ", module.named_parameters().Select(p => $"{p.name} {string.Join('x', p.parameter.shape)}"));
}
