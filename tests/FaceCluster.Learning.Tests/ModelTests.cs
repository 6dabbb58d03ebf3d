using FaceCluster.Learning.Model;
using FaceCluster.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Tests;

public sealed class ModelTests
{
    /// <summary>facenet-pytorch's state dict of InceptionResnetV1(pretrained='vggface2'): key and shape, in order.</summary>
    private static IReadOnlyList<(string Key, long[] Shape)> FacenetStateDict() =>
        [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "facenet-pytorch-vggface2-state-dict.txt"))
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .Select(parts => (parts[0], parts[1] == "scalar" ? Array.Empty<long>() : parts[1].Split('x').Select(long.Parse).ToArray()))];

    [Fact]
    public void State_dict_keys_and_shapes_are_facenet_pytorchs()
    {
        TorchRuntime.Initialize();
        using var network = new InceptionResnetV1(classes: 8631);
        var expected = FacenetStateDict();
        var actual = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);

        // TorchSharp lists parameters before buffers, PyTorch module by module; loading goes by name, so the sets matter.
        Assert.Equal(716, expected.Count);
        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in expected)
        {
            Assert.True(shape.SequenceEqual(actual[key]), $"{key}: expected [{string.Join(", ", shape)}], got [{string.Join(", ", actual[key])}]");
        }
    }

    [Fact]
    public void Parameter_counts_equal_facenet_pytorchs_per_block()
    {
        TorchRuntime.Initialize();
        using var vggface2 = new InceptionResnetV1(classes: 8631);

        // Figures from the layer shapes of models/inception_resnet_v1.py (BatchNorm weight and bias count; running
        // statistics are buffers): 27,910,327 with the VGGFace2 logits, 23,482,624 without.
        Assert.Equal(27_910_327, vggface2.parameters().Sum(p => p.numel()));
        var expected = new Dictionary<string, long>
        {
            ["conv2d_1a"] = 928, ["conv2d_2a"] = 9_280, ["conv2d_2b"] = 18_560, ["maxpool_3a"] = 0, ["conv2d_3b"] = 5_280,
            ["conv2d_4a"] = 138_624, ["conv2d_4b"] = 442_880, ["repeat_1"] = 387_200, ["mixed_6a"] = 1_710_080,
            ["repeat_2"] = 6_900_480, ["mixed_7a"] = 3_346_176, ["repeat_3"] = 8_003_840, ["block8"] = 1_600_768,
            ["avgpool_1a"] = 0, ["dropout"] = 0, ["last_linear"] = 917_504, ["last_bn"] = 1_024, ["logits"] = 4_427_703,
        };
        var actual = vggface2.TrunkModules.Concat(vggface2.HeadModules).ToDictionary(m => m.Name, m => m.Module.parameters().Sum(p => p.numel()));
        Assert.Equal(expected, actual);

        using var embedding = new InceptionResnetV1();
        Assert.Equal(23_482_624, embedding.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void The_papers_model_freezes_the_trunk_and_trains_block8_and_the_head()
    {
        TorchRuntime.Initialize();
        using var model = FaceMeaningNet.Create(288, seed: 7);

        // block8 1,600,768 + last_linear 917,504 + last_bn 1,024 + logits 512 x 288 + 288.
        Assert.Equal(1_600_768 + 917_504 + 1_024 + 147_744, model.TrainableParameters.Sum(p => p.numel()));
        Assert.Equal(23_482_624 + 147_744, model.Network.parameters().Sum(p => p.numel()));
        foreach (var (name, module) in model.Network.TrunkModules)
        {
            Assert.All(module.parameters(), p => Assert.False(p.requires_grad, name));
        }

        model.TrainMode();
        Assert.All(model.Network.TrunkModules, m => Assert.False(m.Module.training, m.Name));
        Assert.All(model.Network.HeadModules, m => Assert.True(m.Module.training, m.Name));
    }

    [Fact]
    public void A_160_px_face_is_1792_by_3_by_3_after_the_trunk_and_the_head_gives_one_output_per_attribute()
    {
        TorchRuntime.Initialize();
        using var model = FaceMeaningNet.Create(12, seed: 3);
        model.EvalMode();
        using var faces = randn(2, 3, 160, 160);
        using var features = model.Trunk(faces);
        Assert.Equal([2L, 1792, 3, 3], features.shape);
        using var output = model.Head(features);
        Assert.Equal([2L, 12], output.shape);
        Assert.True(features.abs().mean().item<float>() is > 1e-3f and < 1e3f, "the random trunk keeps a usable scale");
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights()
    {
        TorchRuntime.Initialize();
        using var a = FaceMeaningNet.Create(6, seed: 11);
        using var b = FaceMeaningNet.Create(6, seed: 11);
        using var c = FaceMeaningNet.Create(6, seed: 12);
        var sa = a.Network.state_dict();
        var sb = b.Network.state_dict();
        var sc = c.Network.state_dict();
        Assert.All(sa, kv => Assert.True(kv.Value.equal(sb[kv.Key]).all().item<bool>(), kv.Key));
        Assert.False(sa["conv2d_1a.conv.weight"].equal(sc["conv2d_1a.conv.weight"]).all().item<bool>());
    }
}

/// <summary>Torch's default generator is process-wide; seeded initialisation must not see another thread's draws.</summary>
public sealed class RandomGateTests
{
    [Fact]
    public async Task A_seeded_model_is_the_same_while_another_thread_builds_models()
    {
        TorchRuntime.Initialize();
        Dictionary<string, Tensor> Weights(FaceMeaningNet model) =>
            model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        Dictionary<string, Tensor> quiet;
        using (var model = FaceMeaningNet.Create(12, seed: 1))
        {
            quiet = Weights(model);
        }

        using var stop = new CancellationTokenSource();
        var busy = Task.Run(
            () =>
            {
                var built = 0;
                while (!stop.IsCancellationRequested)
                {
                    using var other = FaceMeaningNet.Create(12, seed: 99);
                    built++;
                }

                return built;
            },
            TestContext.Current.CancellationToken);
        try
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                using var model = FaceMeaningNet.Create(12, seed: 1);
                foreach (var (key, tensor) in Weights(model))
                {
                    Assert.True(tensor.equal(quiet[key]).all().item<bool>(), $"attempt {attempt}: {key} differs while another thread builds models");
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.True(await busy > 0);
    }
}

/// <summary>
/// A batch must give each face what it gives alone: on some CPUs oneDNN's NCHW convolutions were seen to be wrong for
/// batches above one (MTCNN's RNet, docs/vision.md), so the trunk is checked the same way.
/// </summary>
public sealed class BatchConsistencyTests
{
    [Fact]
    public void The_trunk_gives_each_face_of_a_batch_what_it_gives_alone()
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var network = new InceptionResnetV1();
        network.eval();
        using var noGrad = no_grad();
        var faces = randn(3, 3, 160, 160);

        var batched = network.ForwardTrunk(faces);
        for (var i = 0; i < 3; i++)
        {
            var alone = network.ForwardTrunk(faces[i..(i + 1)]);
            var difference = (alone - batched[i..(i + 1)]).abs().max().item<float>();
            var scale = alone.abs().max().item<float>();
            Assert.True(difference <= 1e-4f * Math.Max(1f, scale), $"face {i}: batched and alone differ by {difference} (scale {scale})");
        }
    }

    /// <summary>
    /// The float32 trunk (oneDNN's convolutions) against the same network in float64 (libtorch's own kernels): on the
    /// development machine the channels-last layout gave errors of 3 on outputs of 14 here, so the layout the model
    /// uses is checked against a reference, alone and in a batch.
    /// </summary>
    [Fact]
    public void The_float32_trunk_agrees_with_a_float64_reference()
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var model = FaceMeaningNet.Create(12, seed: 4);
        model.EvalMode();
        var faces = randn(3, 3, 160, 160);

        var single = model.Trunk(faces[..1]);
        var batch = model.Trunk(faces);
        using var noGrad = no_grad();
        model.Network.to(ScalarType.Float64);
        var reference = model.Network.ForwardTrunk(faces.to(ScalarType.Float64)).to(ScalarType.Float32);

        var scale = Math.Max(1f, reference.abs().max().item<float>());
        var batchError = (batch - reference).abs().max().item<float>();
        var singleError = (single - reference[..1]).abs().max().item<float>();
        Assert.True(batchError <= 1e-4f * scale, $"a batch of 3 differs from the float64 trunk by {batchError} (scale {scale})");
        Assert.True(singleError <= 1e-4f * scale, $"a single face differs from the float64 trunk by {singleError} (scale {scale})");
    }
}
