using System.IO.Compression;
using FaceCluster.Torch.Checkpoints;
using static TorchSharp.torch;

namespace FaceCluster.Torch.Tests.Checkpoints;

/// <summary>The zip format (torch 1.6 and later): written from TorchSharp modules, read back.</summary>
public sealed class ZipCheckpointTests
{
    public ZipCheckpointTests() => TorchRuntime.Initialize();

    private static nn.Module<Tensor, Tensor> TrainedLinearBatchNorm(int seed)
    {
        manual_seed(seed);
        var module = nn.Sequential(("fc", nn.Linear(4, 3)), ("bn", nn.BatchNorm1d(3)));

        // One training-mode pass moves the running statistics off their initial 0 and 1 and counts a batch.
        module.train();
        using (var input = randn(8, 4))
        using (module.call(input))
        {
        }

        module.eval();
        return module;
    }

    [Fact]
    public void A_module_saved_and_read_back_has_the_same_names_and_values()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("linear-bn.pt");
        using var module = TrainedLinearBatchNorm(seed: 7);
        var original = module.state_dict();

        PyTorchCheckpoint.Save(module, path);
        using var read = PyTorchCheckpoint.Read(path);

        Assert.Equal(
            ["fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"],
            read.Keys);
        foreach (var (key, tensor) in original)
        {
            TensorAssert.Identical(tensor, read[key], key);
        }

        Assert.Equal(1L, read["bn.num_batches_tracked"].item<long>());
        Assert.NotEqual(0f, read["bn.running_mean"].abs().sum().item<float>());
    }

    [Fact]
    public void Every_supported_dtype_and_a_non_contiguous_tensor_survive_a_round_trip()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("dtypes.pt");
        using var scope = NewDisposeScope();
        var source = arange(12, ScalarType.Float64).reshape(3, 4) - 5.5;
        var tensors = new Dictionary<string, Tensor>
        {
            ["float32"] = source.to(ScalarType.Float32),
            ["float64"] = source,
            ["float16"] = source.to(ScalarType.Float16),
            ["bfloat16"] = source.to(ScalarType.BFloat16),
            ["int64"] = source.to(ScalarType.Int64) * 1_000_000_000_000,
            ["int32"] = source.to(ScalarType.Int32),
            ["int16"] = source.to(ScalarType.Int16),
            ["int8"] = source.to(ScalarType.Int8),
            ["uint8"] = (source + 6).to(ScalarType.Byte),
            ["bool"] = source > 0,
            ["transposed"] = source.to(ScalarType.Float32).t(),
            ["scalar"] = tensor(3.25f),
            ["empty"] = zeros(0, 5),
        };

        PyTorchCheckpoint.Save(tensors, path);
        using var read = PyTorchCheckpoint.Read(path);

        Assert.Equal(tensors.Keys, read.Keys);
        foreach (var (key, expected) in tensors)
        {
            TensorAssert.Identical(expected, read[key], key);
        }
    }

    [Fact]
    public void The_archive_has_the_layout_torch_load_expects()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("layout.pt");
        using var module = TrainedLinearBatchNorm(seed: 3);

        PyTorchCheckpoint.Save(module, path);

        using var archive = ZipFile.OpenRead(path);
        Assert.Equal(
            ["archive/data.pkl", "archive/byteorder", .. Enumerable.Range(0, 7).Select(i => $"archive/data/{i}"), "archive/version"],
            archive.Entries.Select(e => e.FullName));

        // torch memory-maps storages, so they must be stored, not deflated.
        Assert.All(archive.Entries, e => Assert.Equal(e.Length, e.CompressedLength));
        Assert.Equal(3 * 4 * 4, archive.GetEntry("archive/data/0")!.Length);
        Assert.Equal(8, archive.GetEntry("archive/data/6")!.Length); // num_batches_tracked: one int64
        using var byteOrder = new StreamReader(archive.GetEntry("archive/byteorder")!.Open());
        Assert.Equal("little", byteOrder.ReadToEnd());
        using var version = new StreamReader(archive.GetEntry("archive/version")!.Open());
        Assert.Equal("3\n", version.ReadToEnd());
        Assert.Empty(Directory.GetFiles(scratch.Path, "*.tmp"));

        // As torch writes them: each entry's data starts at a multiple of 64 bytes, so storages can be memory-mapped.
        var bytes = File.ReadAllBytes(path);
        var dataOffsets = new List<int>();
        for (var offset = 0; BitConverter.ToUInt32(bytes, offset) == 0x04034b50;)
        {
            var dataOffset = offset + 30 + BitConverter.ToUInt16(bytes, offset + 26) + BitConverter.ToUInt16(bytes, offset + 28);
            dataOffsets.Add(dataOffset);
            offset = dataOffset + BitConverter.ToInt32(bytes, offset + 18);
        }

        Assert.Equal(archive.Entries.Count, dataOffsets.Count);
        Assert.All(dataOffsets, offset => Assert.Equal(0, offset % 64));
    }

    [Fact]
    public void An_optimizer_like_object_is_written_as_the_python_values_it_holds()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("optimizer.pt");
        using var scope = NewDisposeScope();
        var exp = arange(6, ScalarType.Float32).reshape(2, 3);
        var root = new PythonDict
        {
            { "state", new PythonDict { { 0, new PythonDict { { "step", tensor(3f) }, { "exp_avg", exp }, { "exp_avg_sq", exp * exp } } } } },
            {
                "param_groups", new List<object?>
                {
                    new PythonDict { { "lr", 1e-4 }, { "betas", new PythonTuple(0.9, 0.999) }, { "amsgrad", false }, { "foreach", null }, { "params", new List<object?> { 0L } } },
                }
            },
        };

        PyTorchCheckpoint.SaveObject(root, path);

        // Read gives its tensors with dotted names.
        using (var read = PyTorchCheckpoint.Read(path))
        {
            Assert.Equal(["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq"], read.Keys);
            Assert.Equal(0, read["state.0.step"].dim());
            Assert.Equal(3f, read["state.0.step"].item<float>());
            TensorAssert.Identical(exp, read["state.0.exp_avg"], "exp_avg");
            TensorAssert.Identical(exp * exp, read["state.0.exp_avg_sq"], "exp_avg_sq");
        }

        // The pickle holds the rest as Python values: a dict keyed by int, a list of one dict, floats, a tuple, None.
        using var archive = ZipFile.OpenRead(path);
        using var pickle = archive.GetEntry("archive/data.pkl")!.Open();
        var value = (PickleDict)PickleMachine.Load(pickle, path, id => PickleGlobals.ParseStorageId(id, path))!;
        Assert.False(value.IsOrdered);
        Assert.True(value.TryGetValue("state", out var state) && ((PickleDict)state!).TryGetValue(0L, out var first) && first is PickleDict);
        Assert.True(value.TryGetValue("param_groups", out var groups));
        var group = (PickleDict)Assert.Single((List<object?>)groups!)!;
        Assert.Equal(
            [new("lr", 1e-4), new("betas", new object?[] { 0.9, 0.999 }), new("amsgrad", false), new("foreach", null), new KeyValuePair<object, object?>("params", new List<object?> { 0L })],
            group.Items);
    }

    [Fact]
    public void A_value_with_no_pickled_form_is_refused_and_nothing_is_written()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("bad.pt");

        var error = Assert.Throws<ArgumentException>(() => PyTorchCheckpoint.SaveObject(new PythonDict { { "when", DateTime.UnixEpoch } }, path));

        Assert.Contains("DateTime has no pickled form", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(scratch.Path));
    }

    [Fact]
    public void The_same_weights_give_the_same_bytes()
    {
        using var scratch = new ScratchDirectory();
        using var module = TrainedLinearBatchNorm(seed: 4);

        PyTorchCheckpoint.Save(module, scratch.File("first.pt"));
        PyTorchCheckpoint.Save(module, scratch.File("second.pt"));

        Assert.Equal(File.ReadAllBytes(scratch.File("first.pt")), File.ReadAllBytes(scratch.File("second.pt")));
    }

    [Fact]
    public void Saving_over_an_existing_checkpoint_replaces_it()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("replaced.pt");
        using var first = TrainedLinearBatchNorm(seed: 1);
        using var second = TrainedLinearBatchNorm(seed: 2);

        PyTorchCheckpoint.Save(first, path);
        PyTorchCheckpoint.Save(second, path);
        using var read = PyTorchCheckpoint.Read(path);

        TensorAssert.Identical(second.state_dict()["fc.weight"], read["fc.weight"], "fc.weight");
        Assert.Equal(["replaced.pt"], Directory.GetFiles(scratch.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_storage_the_pickle_names_but_the_archive_lacks_is_an_unknown_storage_key()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("missing-storage.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("a").FloatTensor("0", 2, 0, [2], [1])
            .Str("b").FloatTensor("7", 2, 0, [2], [1])
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = CheckpointBytes.Floats(1, 2) });

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown storage key '7'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_of_the_wrong_size_is_refused()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("short-storage.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("a").FloatTensor("0", 3, 0, [3], [1])
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = CheckpointBytes.Floats(1, 2) });

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("archive/data/0 holds 8 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.98)]
    [InlineData(0.02)]
    public void A_truncated_zip_file_is_refused_with_its_name(double keptFraction)
    {
        using var scratch = new ScratchDirectory();
        var whole = scratch.File("whole.pt");
        var path = scratch.File("truncated.pt");
        using var module = TrainedLinearBatchNorm(seed: 5);
        PyTorchCheckpoint.Save(module, whole);
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keptFraction)]);

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_no_checkpoint_is_refused_with_its_name()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("notes.txt");
        File.WriteAllText(path, "not weights");

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a PyTorch checkpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dict_that_contains_itself_is_refused_instead_of_recursing_forever()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("cycle.pt");
        var pickle = new PickleOps().Proto(2).EmptyDict().Put(0).Str("self").Get(0).SetItem().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]>());

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("contains itself", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_that_contains_itself_is_described_briefly_in_the_error()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("list-cycle.pt");
        var pickle = new PickleOps().Proto(2).EmptyList().Put(0).Get(0).Append().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]>());

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Equal($"{path}: the checkpoint holds [[[[...]]]], not a state dict (a dict of tensors)", error.Message);
    }

    [Fact]
    public void A_huge_tensor_over_a_one_element_storage_is_refused_before_allocating()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("expanded.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("w").FloatTensor("0", 1, 0, [1 << 30, 1 << 10], [0, 0])
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = CheckpointBytes.Floats(1) });

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains("tensor 'w' of size [1073741824,1024] has 1099511627776 elements over a storage of 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_expanded_tensor_is_read_as_its_repeated_values()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("expanded-small.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("w").FloatTensor("0", 2, 0, [3, 2], [0, 1])
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = CheckpointBytes.Floats(1.5f, -2) });

        using var read = PyTorchCheckpoint.Read(path);
        Assert.Equal([1.5f, -2f, 1.5f, -2f, 1.5f, -2f], read["w"].data<float>().ToArray());
    }
}
