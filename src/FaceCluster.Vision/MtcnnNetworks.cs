using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FaceCluster.Vision;

// The module fields are named exactly as facenet-pytorch's state-dict keys (conv4_1, dense5_2, ...), which
// RegisterComponents() takes as the parameter names; hence no underscore prefix.
#pragma warning disable IDE1006

/// <summary>
/// MTCNN's proposal network, as facenet-pytorch's <c>PNet</c>: fully convolutional over any image of at least 12 x 12,
/// one output cell per 12 x 12 window at stride 2.
/// </summary>
/// <remarks>
/// Input: <c>[N, 3, H, W]</c> float, normalised as <c>(x - 127.5) * 0.0078125</c>. Output: box regression
/// <c>[N, 4, H', W']</c> and face probabilities <c>[N, 2, H', W']</c> (softmax over the channel; channel 1 is "face"),
/// with <c>H' = ceil((H - 2) / 2) - 4</c>.
/// </remarks>
public sealed class PNet : nn.Module<Tensor, (Tensor Regression, Tensor Probabilities)>
{
    private readonly Conv2d conv1 = nn.Conv2d(3, 10, 3);
    private readonly PReLU prelu1 = nn.PReLU(10);
    private readonly MaxPool2d pool1 = nn.MaxPool2d(2, 2, ceil_mode: true);
    private readonly Conv2d conv2 = nn.Conv2d(10, 16, 3);
    private readonly PReLU prelu2 = nn.PReLU(16);
    private readonly Conv2d conv3 = nn.Conv2d(16, 32, 3);
    private readonly PReLU prelu3 = nn.PReLU(32);
    private readonly Conv2d conv4_1 = nn.Conv2d(32, 2, 1);
    private readonly Softmax softmax4_1 = nn.Softmax(1);
    private readonly Conv2d conv4_2 = nn.Conv2d(32, 4, 1);

    /// <summary>Creates the network with PyTorch's default random initialisation; load weights to use it.</summary>
    public PNet() : base(nameof(PNet))
    {
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override (Tensor Regression, Tensor Probabilities) forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = prelu1.forward(conv1.forward(input));
        x = pool1.forward(x);
        x = prelu2.forward(conv2.forward(x));
        x = prelu3.forward(conv3.forward(x));
        var probabilities = softmax4_1.forward(conv4_1.forward(x));
        var regression = conv4_2.forward(x);
        return (regression.MoveToOuterDisposeScope(), probabilities.MoveToOuterDisposeScope());
    }
}

/// <summary>MTCNN's refinement network, as facenet-pytorch's <c>RNet</c>, on 24 x 24 crops.</summary>
/// <remarks>
/// Input: <c>[N, 3, 24, 24]</c>, normalised as for <see cref="PNet"/>. Output: box regression <c>[N, 4]</c> and face
/// probabilities <c>[N, 2]</c>. The last feature map is permuted <c>(0, 3, 2, 1)</c> (to N, W, H, C) before flattening,
/// as in facenet-pytorch, whose dense weights were converted from the Caffe/TensorFlow originals in that order.
/// </remarks>
public sealed class RNet : nn.Module<Tensor, (Tensor Regression, Tensor Probabilities)>
{
    private readonly Conv2d conv1 = nn.Conv2d(3, 28, 3);
    private readonly PReLU prelu1 = nn.PReLU(28);
    private readonly MaxPool2d pool1 = nn.MaxPool2d(3, 2, ceil_mode: true);
    private readonly Conv2d conv2 = nn.Conv2d(28, 48, 3);
    private readonly PReLU prelu2 = nn.PReLU(48);
    private readonly MaxPool2d pool2 = nn.MaxPool2d(3, 2, ceil_mode: true);
    private readonly Conv2d conv3 = nn.Conv2d(48, 64, 2);
    private readonly PReLU prelu3 = nn.PReLU(64);
    private readonly Linear dense4 = nn.Linear(576, 128);
    private readonly PReLU prelu4 = nn.PReLU(128);
    private readonly Linear dense5_1 = nn.Linear(128, 2);
    private readonly Softmax softmax5_1 = nn.Softmax(1);
    private readonly Linear dense5_2 = nn.Linear(128, 4);

    /// <summary>Creates the network with PyTorch's default random initialisation; load weights to use it.</summary>
    public RNet() : base(nameof(RNet))
    {
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override (Tensor Regression, Tensor Probabilities) forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = pool1.forward(prelu1.forward(conv1.forward(input)));
        x = pool2.forward(prelu2.forward(conv2.forward(x)));
        x = prelu3.forward(conv3.forward(x));
        x = x.permute(0, 3, 2, 1).contiguous();
        x = prelu4.forward(dense4.forward(x.view(x.shape[0], -1)));
        var probabilities = softmax5_1.forward(dense5_1.forward(x));
        var regression = dense5_2.forward(x);
        return (regression.MoveToOuterDisposeScope(), probabilities.MoveToOuterDisposeScope());
    }
}

/// <summary>MTCNN's output network, as facenet-pytorch's <c>ONet</c>, on 48 x 48 crops.</summary>
/// <remarks>
/// Input: <c>[N, 3, 48, 48]</c>, normalised as for <see cref="PNet"/>. Output: box regression <c>[N, 4]</c>, landmarks
/// <c>[N, 10]</c> (five x then five y, as fractions of the box) and face probabilities <c>[N, 2]</c>; the same
/// <c>(0, 3, 2, 1)</c> permutation as <see cref="RNet"/> precedes flattening.
/// </remarks>
public sealed class ONet : nn.Module<Tensor, (Tensor Regression, Tensor Landmarks, Tensor Probabilities)>
{
    private readonly Conv2d conv1 = nn.Conv2d(3, 32, 3);
    private readonly PReLU prelu1 = nn.PReLU(32);
    private readonly MaxPool2d pool1 = nn.MaxPool2d(3, 2, ceil_mode: true);
    private readonly Conv2d conv2 = nn.Conv2d(32, 64, 3);
    private readonly PReLU prelu2 = nn.PReLU(64);
    private readonly MaxPool2d pool2 = nn.MaxPool2d(3, 2, ceil_mode: true);
    private readonly Conv2d conv3 = nn.Conv2d(64, 64, 3);
    private readonly PReLU prelu3 = nn.PReLU(64);
    private readonly MaxPool2d pool3 = nn.MaxPool2d(2, 2, ceil_mode: true);
    private readonly Conv2d conv4 = nn.Conv2d(64, 128, 2);
    private readonly PReLU prelu4 = nn.PReLU(128);
    private readonly Linear dense5 = nn.Linear(1152, 256);
    private readonly PReLU prelu5 = nn.PReLU(256);
    private readonly Linear dense6_1 = nn.Linear(256, 2);
    private readonly Softmax softmax6_1 = nn.Softmax(1);
    private readonly Linear dense6_2 = nn.Linear(256, 4);
    private readonly Linear dense6_3 = nn.Linear(256, 10);

    /// <summary>Creates the network with PyTorch's default random initialisation; load weights to use it.</summary>
    public ONet() : base(nameof(ONet))
    {
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override (Tensor Regression, Tensor Landmarks, Tensor Probabilities) forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = pool1.forward(prelu1.forward(conv1.forward(input)));
        x = pool2.forward(prelu2.forward(conv2.forward(x)));
        x = pool3.forward(prelu3.forward(conv3.forward(x)));
        x = prelu4.forward(conv4.forward(x));
        x = x.permute(0, 3, 2, 1).contiguous();
        x = prelu5.forward(dense5.forward(x.view(x.shape[0], -1)));
        var probabilities = softmax6_1.forward(dense6_1.forward(x));
        var regression = dense6_2.forward(x);
        var landmarks = dense6_3.forward(x);
        return (regression.MoveToOuterDisposeScope(), landmarks.MoveToOuterDisposeScope(), probabilities.MoveToOuterDisposeScope());
    }
}
