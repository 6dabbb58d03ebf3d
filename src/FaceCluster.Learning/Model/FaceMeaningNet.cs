using FaceCluster.Torch;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Model;

/// <summary>
/// The paper's model (Brooks et al. 2024, "Facial expression machine learning architecture"): facenet-pytorch's
/// InceptionResnetV1 with <c>classify=True, num_classes=countries x concepts</c>. Everything before <c>block8</c> (the
/// trunk) is frozen, in eval mode and without gradients; <c>block8</c>, <c>last_linear</c> (1792 to 512, no bias, as
/// facenet-pytorch), <c>last_bn</c> (BatchNorm1d(512, eps 0.001, momentum 0.1)) and <c>logits</c>
/// (512 to countries x concepts) are trained, after AdaptiveAvgPool2d(1) and Dropout(0.6).
/// </summary>
/// <remarks>
/// The state dict is the network's (<see cref="Network"/>), keys as facenet-pytorch's, so that a checkpoint saved here
/// loads in PyTorch into <c>InceptionResnetV1(classify=True, num_classes=K)</c>.
/// </remarks>
public sealed class FaceMeaningNet : IDisposable
{
    private FaceMeaningNet(InceptionResnetV1 network, int outputs)
    {
        Network = network;
        Outputs = outputs;
        Freeze();
    }

    /// <summary>The network (its state dict is the model's).</summary>
    public InceptionResnetV1 Network { get; }

    /// <summary>Outputs: countries x concepts.</summary>
    public int Outputs { get; }

    /// <summary>
    /// A model with <paramref name="outputs"/> outputs, every weight drawn from <c>torch.manual_seed(seed)</c>: the
    /// trunk's convolutions with Kaiming-normal weights (fan in, ReLU gain, so that activations keep their scale through
    /// a trunk with untrained batch norms), everything else with PyTorch's default initialisation.
    /// </summary>
    public static FaceMeaningNet Create(int outputs, long seed, double dropout = 0.6)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        InceptionResnetV1 network;
        lock (TorchRuntime.RandomGate)
        {
            torch.random.manual_seed(seed);
            network = new InceptionResnetV1(outputs, dropout);
            using (torch.no_grad())
            {
                foreach (var (_, module) in network.TrunkModules)
                {
                    foreach (var conv in module.modules().OfType<Conv2d>().Append(module as Conv2d).OfType<Conv2d>())
                    {
                        torch.nn.init.kaiming_normal_(conv.weight, mode: torch.nn.init.FanInOut.FanIn, nonlinearity: torch.nn.init.NonlinearityType.ReLU);
                    }
                }
            }
        }

        return new FaceMeaningNet(network, outputs);
    }

    /// <summary>Wraps an existing network (with <c>logits</c>) as the paper's model, freezing its trunk.</summary>
    public static FaceMeaningNet Wrap(InceptionResnetV1 network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var classes = network.Classes ?? throw new ArgumentException("the network has no logits layer", nameof(network));
        return new FaceMeaningNet(network, checked((int)classes));
    }

    /// <summary>The parameters that are trained: those of <c>block8</c> and after.</summary>
    public IReadOnlyList<Parameter> TrainableParameters =>
        [.. Network.HeadModules.SelectMany(m => m.Module.parameters())];

    /// <summary>Moves the model to <paramref name="device"/>.</summary>
    public FaceMeaningNet To(Device device)
    {
        Network.to(device);
        return this;
    }

    /// <summary>Training mode for the head (batch statistics, dropout), eval mode for the frozen trunk.</summary>
    public void TrainMode()
    {
        Network.train();
        foreach (var (_, module) in Network.TrunkModules)
        {
            module.eval();
        }
    }

    /// <summary>Eval mode everywhere (predictions, held-out loss).</summary>
    public void EvalMode() => Network.eval();

    /// <summary>The frozen trunk's output for normalised faces, without gradients: <c>N x 1792 x 3 x 3</c>.</summary>
    public Tensor Trunk(Tensor faces)
    {
        using var noGrad = torch.no_grad();
        return Network.ForwardTrunk(faces);
    }

    /// <summary>The head (<c>block8</c> .. <c>logits</c>) on trunk features: <c>N x Outputs</c>.</summary>
    public Tensor Head(Tensor features) => Network.ForwardHead(features);

    /// <summary>The whole model on normalised faces: <c>N x Outputs</c>.</summary>
    public Tensor Forward(Tensor faces)
    {
        using var features = Trunk(faces);
        return Head(features);
    }

    /// <inheritdoc />
    public void Dispose() => Network.Dispose();

    private void Freeze()
    {
        foreach (var (_, module) in Network.TrunkModules)
        {
            foreach (var parameter in module.parameters())
            {
                parameter.requires_grad = false;
            }
        }
    }
}
