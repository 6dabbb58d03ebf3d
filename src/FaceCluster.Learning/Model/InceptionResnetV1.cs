using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

// The fields of these modules are registered by RegisterComponents() under their field names, which are the state-dict
// keys of facenet-pytorch's models/inception_resnet_v1.py (conv2d_1a.conv.weight, repeat_1.0.branch0.bn.running_mean,
// ...). They keep PyTorch's snake_case so that its checkpoints load by name.
#pragma warning disable IDE1006 // Naming styles
#pragma warning disable CA1707 // Identifiers should not contain underscores

namespace FaceCluster.Learning.Model;

/// <summary>
/// facenet-pytorch's <c>BasicConv2d</c>: a convolution without bias, BatchNorm2d (eps 0.001, momentum 0.1) and ReLU.
/// State-dict keys <c>conv.weight</c>, <c>bn.weight</c>, <c>bn.bias</c>, <c>bn.running_mean</c>, <c>bn.running_var</c>,
/// <c>bn.num_batches_tracked</c>.
/// </summary>
public sealed class BasicConv2d : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly ReLU relu;

    /// <summary>Creates the layer.</summary>
    public BasicConv2d(long inPlanes, long outPlanes, (long, long) kernelSize, (long, long) stride, (long, long) padding)
        : base(nameof(BasicConv2d))
    {
        conv = Conv2d(inPlanes, outPlanes, kernelSize, stride: stride, padding: padding, bias: false);
        bn = BatchNorm2d(outPlanes, eps: 0.001, momentum: 0.1);
        relu = ReLU();
        RegisterComponents();
    }

    /// <summary>Creates a layer with a square kernel.</summary>
    public BasicConv2d(long inPlanes, long outPlanes, long kernelSize, long stride = 1, long padding = 0)
        : this(inPlanes, outPlanes, (kernelSize, kernelSize), (stride, stride), (padding, padding))
    {
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var convolved = conv.forward(input);
        using var normalised = bn.forward(convolved);
        return relu.forward(normalised);
    }

    /// <summary>The convolution (for initialisation).</summary>
    internal Conv2d Convolution => conv;
}

/// <summary>facenet-pytorch's <c>Block35</c> (35 x 35 grid in Inception-ResNet terms; 17 x 17 at 160 px): 256 channels.</summary>
public sealed class Block35 : Module<Tensor, Tensor>
{
    private readonly double _scale;
    private readonly BasicConv2d branch0;
    private readonly Sequential branch1;
    private readonly Sequential branch2;
    private readonly Conv2d conv2d;
    private readonly ReLU relu;

    /// <summary>Creates the block with the residual scale <paramref name="scale"/>.</summary>
    public Block35(double scale = 1.0)
        : base(nameof(Block35))
    {
        _scale = scale;
        branch0 = new BasicConv2d(256, 32, 1);
        branch1 = Sequential(new BasicConv2d(256, 32, 1), new BasicConv2d(32, 32, 3, padding: 1));
        branch2 = Sequential(new BasicConv2d(256, 32, 1), new BasicConv2d(32, 32, 3, padding: 1), new BasicConv2d(32, 32, 3, padding: 1));
        conv2d = Conv2d(96, 256, 1);
        relu = ReLU();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var x0 = branch0.forward(input);
        using var x1 = branch1.forward(input);
        using var x2 = branch2.forward(input);
        using var joined = cat([x0, x1, x2], 1);
        using var mixed = conv2d.forward(joined);
        using var residual = mixed.mul(_scale).add_(input);
        return relu.forward(residual);
    }
}

/// <summary>facenet-pytorch's <c>Block17</c>: 896 channels, 1 x 7 and 7 x 1 convolutions.</summary>
public sealed class Block17 : Module<Tensor, Tensor>
{
    private readonly double _scale;
    private readonly BasicConv2d branch0;
    private readonly Sequential branch1;
    private readonly Conv2d conv2d;
    private readonly ReLU relu;

    /// <summary>Creates the block with the residual scale <paramref name="scale"/>.</summary>
    public Block17(double scale = 1.0)
        : base(nameof(Block17))
    {
        _scale = scale;
        branch0 = new BasicConv2d(896, 128, 1);
        branch1 = Sequential(
            new BasicConv2d(896, 128, 1),
            new BasicConv2d(128, 128, (1, 7), (1, 1), (0, 3)),
            new BasicConv2d(128, 128, (7, 1), (1, 1), (3, 0)));
        conv2d = Conv2d(256, 896, 1);
        relu = ReLU();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var x0 = branch0.forward(input);
        using var x1 = branch1.forward(input);
        using var joined = cat([x0, x1], 1);
        using var mixed = conv2d.forward(joined);
        using var residual = mixed.mul(_scale).add_(input);
        return relu.forward(residual);
    }
}

/// <summary>facenet-pytorch's <c>Block8</c>: 1792 channels, 1 x 3 and 3 x 1 convolutions; the last one has no ReLU.</summary>
public sealed class Block8 : Module<Tensor, Tensor>
{
    private readonly double _scale;
    private readonly BasicConv2d branch0;
    private readonly Sequential branch1;
    private readonly Conv2d conv2d;
    private readonly ReLU? relu;

    /// <summary>Creates the block with the residual scale <paramref name="scale"/>, without the final ReLU when <paramref name="noReLU"/>.</summary>
    public Block8(double scale = 1.0, bool noReLU = false)
        : base(nameof(Block8))
    {
        _scale = scale;
        branch0 = new BasicConv2d(1792, 192, 1);
        branch1 = Sequential(
            new BasicConv2d(1792, 192, 1),
            new BasicConv2d(192, 192, (1, 3), (1, 1), (0, 1)),
            new BasicConv2d(192, 192, (3, 1), (1, 1), (1, 0)));
        conv2d = Conv2d(384, 1792, 1);
        relu = noReLU ? null : ReLU();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var x0 = branch0.forward(input);
        using var x1 = branch1.forward(input);
        using var joined = cat([x0, x1], 1);
        using var mixed = conv2d.forward(joined);
        var residual = mixed.mul(_scale).add_(input);
        if (relu is null)
        {
            return residual;
        }

        using (residual)
        {
            return relu.forward(residual);
        }
    }
}

/// <summary>facenet-pytorch's <c>Mixed_6a</c>: 256 to 896 channels, halving the grid.</summary>
public sealed class Mixed6a : Module<Tensor, Tensor>
{
    private readonly BasicConv2d branch0;
    private readonly Sequential branch1;
    private readonly MaxPool2d branch2;

    /// <summary>Creates the block.</summary>
    public Mixed6a()
        : base("Mixed_6a")
    {
        branch0 = new BasicConv2d(256, 384, 3, stride: 2);
        branch1 = Sequential(new BasicConv2d(256, 192, 1), new BasicConv2d(192, 192, 3, padding: 1), new BasicConv2d(192, 256, 3, stride: 2));
        branch2 = MaxPool2d(3, stride: 2);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var x0 = branch0.forward(input);
        using var x1 = branch1.forward(input);
        using var x2 = branch2.forward(input);
        return cat([x0, x1, x2], 1);
    }
}

/// <summary>facenet-pytorch's <c>Mixed_7a</c>: 896 to 1792 channels, halving the grid (to 3 x 3 at 160 px).</summary>
public sealed class Mixed7a : Module<Tensor, Tensor>
{
    private readonly Sequential branch0;
    private readonly Sequential branch1;
    private readonly Sequential branch2;
    private readonly MaxPool2d branch3;

    /// <summary>Creates the block.</summary>
    public Mixed7a()
        : base("Mixed_7a")
    {
        branch0 = Sequential(new BasicConv2d(896, 256, 1), new BasicConv2d(256, 384, 3, stride: 2));
        branch1 = Sequential(new BasicConv2d(896, 256, 1), new BasicConv2d(256, 256, 3, stride: 2));
        branch2 = Sequential(new BasicConv2d(896, 256, 1), new BasicConv2d(256, 256, 3, padding: 1), new BasicConv2d(256, 256, 3, stride: 2));
        branch3 = MaxPool2d(3, stride: 2);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var x0 = branch0.forward(input);
        using var x1 = branch1.forward(input);
        using var x2 = branch2.forward(input);
        using var x3 = branch3.forward(input);
        return cat([x0, x1, x2, x3], 1);
    }
}

/// <summary>
/// facenet-pytorch's <c>InceptionResnetV1</c> (models/inception_resnet_v1.py), module for module and key for key, so
/// that its checkpoints (<c>20180402-114759-vggface2.pt</c>) load by name and what is saved here loads into it.
/// </summary>
/// <remarks>
/// Input: <c>N x 3 x 160 x 160</c> normalised faces. With <see cref="Classes"/> set (facenet-pytorch's
/// <c>classify=True, num_classes=K</c>) the output is <c>logits</c>, <c>N x K</c>; without, the L2-normalised 512-d
/// embedding. <see cref="ForwardTrunk"/> and <see cref="ForwardHead"/> split the network after <c>repeat_3</c>, where
/// a 160 px face is <c>1792 x 3 x 3</c>.
/// </remarks>
public sealed class InceptionResnetV1 : Module<Tensor, Tensor>
{
    /// <summary>Channels at the split after <c>repeat_3</c>.</summary>
    public const int TrunkChannels = 1792;

    /// <summary>Grid side at the split for a 160 px input.</summary>
    public const int TrunkGrid = 3;

    /// <summary>Values per face at the split (1792 x 3 x 3).</summary>
    public const int TrunkFeatures = TrunkChannels * TrunkGrid * TrunkGrid;

    /// <summary>The input side in pixels.</summary>
    public const int InputSize = 160;

    /// <summary>The embedding size.</summary>
    public const int EmbeddingSize = 512;

    /// <summary>The top-level modules before the split, in forward order (frozen in the paper's model).</summary>
    public static readonly IReadOnlyList<string> TrunkModuleNames =
        ["conv2d_1a", "conv2d_2a", "conv2d_2b", "maxpool_3a", "conv2d_3b", "conv2d_4a", "conv2d_4b", "repeat_1", "mixed_6a", "repeat_2", "mixed_7a", "repeat_3"];

    /// <summary>The top-level modules after the split, in forward order (<c>logits</c> only with classes).</summary>
    public static readonly IReadOnlyList<string> HeadModuleNames =
        ["block8", "avgpool_1a", "dropout", "last_linear", "last_bn", "logits"];

    private readonly BasicConv2d conv2d_1a;
    private readonly BasicConv2d conv2d_2a;
    private readonly BasicConv2d conv2d_2b;
    private readonly MaxPool2d maxpool_3a;
    private readonly BasicConv2d conv2d_3b;
    private readonly BasicConv2d conv2d_4a;
    private readonly BasicConv2d conv2d_4b;
    private readonly Sequential repeat_1;
    private readonly Mixed6a mixed_6a;
    private readonly Sequential repeat_2;
    private readonly Mixed7a mixed_7a;
    private readonly Sequential repeat_3;
    private readonly Block8 block8;
    private readonly AdaptiveAvgPool2d avgpool_1a;
    private readonly Dropout dropout;
    private readonly Linear last_linear;
    private readonly BatchNorm1d last_bn;
    private readonly Linear? logits;

    /// <summary>
    /// Creates the network with PyTorch's default initialisation; <paramref name="classes"/> adds <c>logits</c>
    /// (<c>Linear(512, classes)</c>), <paramref name="dropoutProbability"/> is the dropout before <c>last_linear</c>.
    /// </summary>
    public InceptionResnetV1(long? classes = null, double dropoutProbability = 0.6)
        : base(nameof(InceptionResnetV1))
    {
        if (classes is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "at least one class");
        }

        Classes = classes;
        conv2d_1a = new BasicConv2d(3, 32, 3, stride: 2);
        conv2d_2a = new BasicConv2d(32, 32, 3);
        conv2d_2b = new BasicConv2d(32, 64, 3, padding: 1);
        maxpool_3a = MaxPool2d(3, stride: 2);
        conv2d_3b = new BasicConv2d(64, 80, 1);
        conv2d_4a = new BasicConv2d(80, 192, 3);
        conv2d_4b = new BasicConv2d(192, 256, 3, stride: 2);
        repeat_1 = Sequential(Enumerable.Range(0, 5).Select(_ => (Module<Tensor, Tensor>)new Block35(0.17)));
        mixed_6a = new Mixed6a();
        repeat_2 = Sequential(Enumerable.Range(0, 10).Select(_ => (Module<Tensor, Tensor>)new Block17(0.10)));
        mixed_7a = new Mixed7a();
        repeat_3 = Sequential(Enumerable.Range(0, 5).Select(_ => (Module<Tensor, Tensor>)new Block8(0.20)));
        block8 = new Block8(noReLU: true);
        avgpool_1a = AdaptiveAvgPool2d(1);
        dropout = Dropout(dropoutProbability);
        last_linear = Linear(1792, EmbeddingSize, hasBias: false);
        last_bn = BatchNorm1d(EmbeddingSize, eps: 0.001, momentum: 0.1);
        logits = classes is { } k ? Linear(EmbeddingSize, k) : null;
        RegisterComponents();
    }

    /// <summary>The number of outputs of <c>logits</c>, or null for the embedding network.</summary>
    public long? Classes { get; }

    /// <summary>The top-level modules before the split.</summary>
    public IEnumerable<(string Name, Module Module)> TrunkModules =>
        TrunkModuleNames.Select(name => (name, Child(name)));

    /// <summary>The top-level modules after the split (with <c>logits</c> when present).</summary>
    public IEnumerable<(string Name, Module Module)> HeadModules =>
        HeadModuleNames.Where(name => name != "logits" || logits is not null).Select(name => (name, Child(name)));

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var features = ForwardTrunk(input);
        return ForwardHead(features);
    }

    /// <summary><c>conv2d_1a</c> .. <c>repeat_3</c>: <c>N x 3 x 160 x 160</c> to <c>N x 1792 x 3 x 3</c>.</summary>
    public Tensor ForwardTrunk(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var x = conv2d_1a.forward(input);
        x = conv2d_2a.forward(x);
        x = conv2d_2b.forward(x);
        x = maxpool_3a.forward(x);
        x = conv2d_3b.forward(x);
        x = conv2d_4a.forward(x);
        x = conv2d_4b.forward(x);
        x = repeat_1.forward(x);
        x = mixed_6a.forward(x);
        x = repeat_2.forward(x);
        x = mixed_7a.forward(x);
        x = repeat_3.forward(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>block8</c> .. <c>logits</c>: <c>N x 1792 x 3 x 3</c> to <c>N x Classes</c> (or the L2-normalised embedding
    /// without classes).
    /// </summary>
    public Tensor ForwardHead(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        using var scope = NewDisposeScope();
        var x = block8.forward(features);
        x = avgpool_1a.forward(x);
        x = dropout.forward(x);
        x = last_linear.forward(x.view(x.shape[0], -1));
        x = last_bn.forward(x);
        x = logits is not null ? logits.forward(x) : functional.normalize(x, p: 2, dim: 1);
        return x.MoveToOuterDisposeScope();
    }

    private Module Child(string name) =>
        named_children().First(c => c.name == name).module;
}
