using FaceCluster.Torch.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Torch.Tests.Checkpoints;

/// <summary>Strict loading of a state dict into TorchSharp modules.</summary>
public sealed class StateDictLoaderTests
{
    public StateDictLoaderTests() => TorchRuntime.Initialize();

    /// <summary>A module made of named children, registered in the given order.</summary>
    private sealed class Named : nn.Module
    {
        public Named(params (string Name, nn.Module Child)[] children) : base(nameof(Named))
        {
            foreach (var (name, child) in children)
            {
                register_module(name, child);
            }
        }
    }

    // facenet-pytorch's PNet, layer for layer (the layers without weights do not appear in a state dict).
    private static Named PNetLayers() => new(
        ("conv1", nn.Conv2d(3, 10, 3)),
        ("prelu1", nn.PReLU(10)),
        ("conv2", nn.Conv2d(10, 16, 3)),
        ("prelu2", nn.PReLU(16)),
        ("conv3", nn.Conv2d(16, 32, 3)),
        ("prelu3", nn.PReLU(32)),
        ("conv4_1", nn.Conv2d(32, 2, 1)),
        ("conv4_2", nn.Conv2d(32, 4, 1)));

    [Fact]
    public void PNet_weights_load_into_a_module_of_the_same_layers()
    {
        using var stateDict = PyTorchCheckpoint.Read(TestFiles.MtcnnModel("pnet.pt"));
        using var pnet = PNetLayers();

        StateDictLoader.LoadStrict(pnet, stateDict);

        var loaded = pnet.state_dict();
        Assert.Equal(stateDict.Keys.Order(), loaded.Keys.Order());
        foreach (var key in stateDict.Keys)
        {
            TensorAssert.Identical(stateDict[key], loaded[key], key);
        }

        // Copied into the module's own parameters: they still train.
        Assert.All(pnet.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Values_are_converted_to_the_modules_dtype()
    {
        using var stateDict = PyTorchCheckpoint.Read(TestFiles.MtcnnModel("pnet.pt"));
        using var pnet = PNetLayers();
        pnet.to(ScalarType.Float64);

        StateDictLoader.LoadStrict(pnet, stateDict);

        var weight = pnet.state_dict()["conv1.weight"];
        Assert.Equal(ScalarType.Float64, weight.dtype);
        Assert.Equal(-0.08164716f, (float)weight[0, 0, 0, 0].item<double>());
    }

    [Fact]
    public void Missing_unexpected_and_mismatched_keys_are_reported_together_and_nothing_is_copied()
    {
        var path = TestFiles.MtcnnModel("onet.pt");
        using var stateDict = PyTorchCheckpoint.Read(path);
        using var module = new Named(
            ("conv1", nn.Conv2d(3, 32, 5)),
            ("prelu1", nn.PReLU(32)),
            ("extra", nn.Linear(2, 2)));
        var prelu = module.state_dict()["prelu1.weight"].clone();

        var error = Assert.Throws<CheckpointFormatException>(() => StateDictLoader.LoadStrict(module, stateDict));

        Assert.Equal(path, error.FilePath);
        Assert.Equal(
            "onet.pt does not fit Named: missing keys: extra.weight, extra.bias; " +
            "unexpected keys: conv2.weight, conv2.bias, prelu2.weight, conv3.weight, conv3.bias, prelu3.weight, " +
            "conv4.weight, conv4.bias, prelu4.weight, dense5.weight, dense5.bias, prelu5.weight, dense6_1.weight, " +
            "dense6_1.bias, dense6_2.weight, dense6_2.bias, dense6_3.weight, dense6_3.bias; " +
            "shape mismatch: conv1.weight is [32,3,3,3] in the file, [32,3,5,5] in the module",
            error.Message);
        TensorAssert.Identical(prelu, module.state_dict()["prelu1.weight"], "prelu1.weight is untouched");
    }

    [Fact]
    public void A_prefix_map_loads_a_checkpoint_into_a_submodule_and_ignored_keys_are_skipped_on_both_sides()
    {
        using var stateDict = PyTorchCheckpoint.Read(TestFiles.MtcnnModel("pnet.pt"));
        using var backbone = new Named(
            ("conv1", nn.Conv2d(3, 10, 3)),
            ("prelu1", nn.PReLU(10)),
            ("conv2", nn.Conv2d(10, 16, 3)),
            ("prelu2", nn.PReLU(16)),
            ("conv3", nn.Conv2d(16, 32, 3)),
            ("prelu3", nn.PReLU(32)));
        using var model = new Named(("backbone", backbone), ("head", nn.Linear(32, 5)));
        var head = model.state_dict()["head.weight"].clone();

        StateDictLoader.LoadStrict(model, stateDict, new StateDictLoadOptions
        {
            PrefixMap = [new("", "backbone.")],
            IgnoreCheckpointKeys = ["conv4_1.*", "conv4_2.*"],
            IgnoreModuleKeys = ["head.*"],
        });

        TensorAssert.Identical(stateDict["conv3.weight"], model.state_dict()["backbone.conv3.weight"], "backbone.conv3.weight");
        TensorAssert.Identical(head, model.state_dict()["head.weight"], "head.weight is untouched");
    }

    [Fact]
    public void Renamed_keys_without_a_place_are_reported_with_their_file_name()
    {
        using var stateDict = PyTorchCheckpoint.Read(TestFiles.MtcnnModel("pnet.pt"));
        using var model = new Named(("backbone", PNetLayers()));

        var error = Assert.Throws<CheckpointFormatException>(() => StateDictLoader.LoadStrict(model, stateDict, new StateDictLoadOptions
        {
            PrefixMap = [new("conv4_1.", "head.")],
            IgnoreModuleKeys = ["backbone.*"],
        }));

        Assert.StartsWith(
            "pnet.pt does not fit Named: unexpected keys: conv1.weight, conv1.bias, ",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("conv4_1.weight (as head.weight), conv4_1.bias (as head.bias)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchNorm_buffers_are_loaded_with_the_parameters()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("bn.pt");
        manual_seed(11);
        using var trained = nn.BatchNorm1d(3);
        using (var input = randn(16, 3) * 4 + 2)
        using (trained.call(input))
        {
        }

        PyTorchCheckpoint.Save(trained, path);
        using var stateDict = PyTorchCheckpoint.Read(path);
        using var fresh = nn.BatchNorm1d(3);

        StateDictLoader.LoadStrict(fresh, stateDict);

        foreach (var key in new[] { "running_mean", "running_var", "num_batches_tracked" })
        {
            TensorAssert.Identical(trained.state_dict()[key], fresh.state_dict()[key], key);
        }

        Assert.Equal(1L, fresh.state_dict()["num_batches_tracked"].item<long>());
    }
}
