using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FaceCluster.Vision;

// Module fields are named as face-api.js's weight names (dense0, conv0, depthwise, pointwise, fc), which
// RegisterComponents() takes as the parameter names; hence no underscore prefix.
#pragma warning disable IDE1006

/// <summary>TensorFlow's <c>'same'</c> padding for a square kernel: the extra pixel, when the total is odd, goes after (bottom/right).</summary>
internal static class TfPadding
{
    /// <summary>The (before, after) padding TF uses along one axis of <paramref name="size"/> pixels.</summary>
    public static (int Before, int After) Same(int size, int kernel, int stride)
    {
        var output = (size + stride - 1) / stride;
        var total = Math.Max((output - 1) * stride + kernel - size, 0);
        return (total / 2, total - (total / 2));
    }

    /// <summary><paramref name="input"/> <c>[N, C, H, W]</c> zero-padded as TF's 'same' would before a 'valid' convolution.</summary>
    public static Tensor Pad(Tensor input, int kernel, int stride)
    {
        var (top, bottom) = Same((int)input.shape[2], kernel, stride);
        var (left, right) = Same((int)input.shape[3], kernel, stride);
        return top == 0 && bottom == 0 && left == 0 && right == 0
            ? input.alias()
            : nn.functional.pad(input, [left, right, top, bottom]);
    }
}

/// <summary>
/// face-api.js's <c>depthwiseSeparableConv</c>: <c>tf.separableConv2d</c> (3 x 3 depthwise without bias, then 1 x 1
/// pointwise) with TF 'same' padding, plus a bias. No activation: the dense block applies ReLU to sums.
/// </summary>
public sealed class SeparableConv : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d depthwise;
    private readonly Conv2d pointwise;
    private readonly int _stride;

    /// <summary>A layer from <paramref name="channelsIn"/> to <paramref name="channelsOut"/> channels at <paramref name="stride"/>.</summary>
    public SeparableConv(long channelsIn, long channelsOut, int stride) : base(nameof(SeparableConv))
    {
        _stride = stride;
        depthwise = nn.Conv2d(channelsIn, channelsIn, 3, stride: stride, groups: channelsIn, bias: false);
        pointwise = nn.Conv2d(channelsIn, channelsOut, 1);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var padded = TfPadding.Pad(input, 3, _stride);
        using var x = depthwise.forward(padded);
        return pointwise.forward(x);
    }

    /// <summary>
    /// Copies TF.js's <c>{prefix}/depthwise_filter</c> (HWC1 → C1HW), <c>{prefix}/pointwise_filter</c> (11CO → OC11)
    /// and <c>{prefix}/bias</c> into the layer.
    /// </summary>
    internal void Load(TfjsWeights weights, string prefix)
    {
        var c = depthwise.in_channels;
        var o = pointwise.out_channels;
        FaceLandmark68Net.Copy(depthwise.weight!, weights.Get($"{prefix}/depthwise_filter", 3, 3, (int)c, 1), [2, 3, 0, 1]);
        FaceLandmark68Net.Copy(pointwise.weight!, weights.Get($"{prefix}/pointwise_filter", 1, 1, (int)c, (int)o), [3, 2, 0, 1]);
        FaceLandmark68Net.Copy(pointwise.bias!, weights.Get($"{prefix}/bias", (int)o), [0]);
    }
}

/// <summary>
/// face-api.js's <c>denseBlock4</c>: four convolutions (the first at stride 2; a regular 3 x 3 convolution in the
/// first block, separable ones otherwise) whose outputs are summed densely, each sum passed through ReLU:
/// <c>o1 = relu(c0(x))</c>, <c>o2 = c1(o1)</c>, <c>o3 = c2(relu(o1 + o2))</c>, <c>o4 = c3(relu(o1 + o2 + o3))</c>,
/// output <c>relu(o1 + o2 + o3 + o4)</c>.
/// </summary>
public sealed class DenseBlock4 : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d? conv0;
    private readonly SeparableConv? sepconv0;
    private readonly SeparableConv conv1;
    private readonly SeparableConv conv2;
    private readonly SeparableConv conv3;

    /// <summary>A block from <paramref name="channelsIn"/> to <paramref name="channelsOut"/> channels, halving the resolution.</summary>
    /// <param name="channelsIn">Input channels.</param>
    /// <param name="channelsOut">Output channels.</param>
    /// <param name="isFirstLayer">Whether the first convolution is a regular one (face-api.js's <c>dense0</c>).</param>
    public DenseBlock4(long channelsIn, long channelsOut, bool isFirstLayer) : base(nameof(DenseBlock4))
    {
        if (isFirstLayer)
        {
            conv0 = nn.Conv2d(channelsIn, channelsOut, 3, stride: 2);
        }
        else
        {
            sepconv0 = new SeparableConv(channelsIn, channelsOut, 2);
        }

        conv1 = new SeparableConv(channelsOut, channelsOut, 1);
        conv2 = new SeparableConv(channelsOut, channelsOut, 1);
        conv3 = new SeparableConv(channelsOut, channelsOut, 1);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor first;
        if (conv0 is not null)
        {
            using var padded = TfPadding.Pad(input, 3, 2);
            first = conv0.forward(padded);
        }
        else
        {
            first = sepconv0!.forward(input);
        }

        var out1 = nn.functional.relu(first);
        var out2 = conv1.forward(out1);
        // The sums are formed as face-api.js adds them (out1 + (out2 + (out3 + out4))), so float rounding matches.
        var out3 = conv2.forward(nn.functional.relu(out1 + out2));
        var out4 = conv3.forward(nn.functional.relu(out1 + (out2 + out3)));
        return nn.functional.relu(out1 + (out2 + (out3 + out4))).MoveToOuterDisposeScope();
    }

    /// <summary>Copies TF.js's <c>{prefix}/conv0</c> ... <c>{prefix}/conv3</c> into the block.</summary>
    internal void Load(TfjsWeights weights, string prefix)
    {
        if (conv0 is not null)
        {
            var o = (int)conv0.out_channels;
            FaceLandmark68Net.Copy(conv0.weight!, weights.Get($"{prefix}/conv0/filters", 3, 3, (int)conv0.in_channels, o), [3, 2, 0, 1]);
            FaceLandmark68Net.Copy(conv0.bias!, weights.Get($"{prefix}/conv0/bias", o), [0]);
        }
        else
        {
            sepconv0!.Load(weights, $"{prefix}/conv0");
        }

        conv1.Load(weights, $"{prefix}/conv1");
        conv2.Load(weights, $"{prefix}/conv2");
        conv3.Load(weights, $"{prefix}/conv3");
    }
}

/// <summary>
/// face-api.js's <c>FaceLandmark68Net</c>: four dense blocks (32, 64, 128, 256 channels; 112 → 7 pixels), a 7 x 7
/// average pool (stride 2, 'valid': one cell) and a fully connected layer to 136 outputs, the 68 points' (x, y)
/// interleaved, relative to the 112 x 112 input (0..1).
/// </summary>
/// <remarks>Input: <c>[N, 3, 112, 112]</c> RGB, normalised as <c>(x - mean) / 255</c> (<see cref="FaceLandmarker"/>).</remarks>
public sealed class FaceLandmark68Net : nn.Module<Tensor, Tensor>
{
    /// <summary>The input's side in pixels.</summary>
    public const int InputSize = 112;

    /// <summary>The number of outputs: 68 (x, y) pairs.</summary>
    public const int Outputs = 136;

    private readonly DenseBlock4 dense0 = new(3, 32, isFirstLayer: true);
    private readonly DenseBlock4 dense1 = new(32, 64, isFirstLayer: false);
    private readonly DenseBlock4 dense2 = new(64, 128, isFirstLayer: false);
    private readonly DenseBlock4 dense3 = new(128, 256, isFirstLayer: false);
    private readonly AvgPool2d pool = nn.AvgPool2d(7, 2);
    private readonly Linear fc = nn.Linear(256, Outputs);

    /// <summary>Creates the network with TorchSharp's random initialisation; use <see cref="Load"/> to fill it.</summary>
    public FaceLandmark68Net() : base(nameof(FaceLandmark68Net))
    {
        RegisterComponents();
    }

    /// <summary>The network with the weights of <paramref name="weights"/> (face-api.js's names and TF.js layouts), strictly.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has another shape, or the file has tensors the network does not use.</exception>
    public static FaceLandmark68Net Load(TfjsWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        FaceLandmark68Net net;
        lock (FaceCluster.Torch.TorchRuntime.RandomGate)
        {
            // Building draws initial weights (all replaced) from the process-wide generator.
            net = new FaceLandmark68Net();
        }

        try
        {
            using (no_grad())
            {
                net.dense0.Load(weights, "dense0");
                net.dense1.Load(weights, "dense1");
                net.dense2.Load(weights, "dense2");
                net.dense3.Load(weights, "dense3");
                Copy(net.fc.weight!, weights.Get("fc/weights", 256, Outputs), [1, 0]);
                Copy(net.fc.bias!, weights.Get("fc/bias", Outputs), [0]);
            }

            var expected = net.parameters().Count();
            if (weights.Names.Count != expected)
            {
                throw new InvalidDataException($"{weights.Source}: {weights.Names.Count} tensors, FaceLandmark68Net has {expected}");
            }

            net.eval();
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = dense0.forward(input);
        x = dense1.forward(x);
        x = dense2.forward(x);
        x = dense3.forward(x);
        x = pool.forward(x).flatten(1);
        return fc.forward(x).MoveToOuterDisposeScope();
    }

    /// <summary>Copies <paramref name="source"/> (TF.js layout) into <paramref name="target"/>, permuting its axes by <paramref name="permutation"/>.</summary>
    internal static void Copy(Tensor target, TfjsTensor source, long[] permutation)
    {
        using var scope = NewDisposeScope();
        var shape = source.Shape.Select(d => (long)d).ToArray();
        var value = tensor(source.Values, shape).permute(permutation);
        if (!value.shape.SequenceEqual(target.shape))
        {
            throw new InvalidDataException(
                $"tensor '{source.Name}' maps to shape [{string.Join(", ", value.shape)}], the layer has [{string.Join(", ", target.shape)}]");
        }

        using (no_grad())
        {
            target.copy_(value);
        }
    }
}
