using FaceCluster.Torch.Checkpoints;
using TorchSharp;

namespace FaceCluster.Torch.Tests.Checkpoints;

/// <summary>facenet-pytorch's MTCNN weights, saved by torch in the legacy (pre-1.6) format.</summary>
public sealed class LegacyCheckpointTests
{
    public sealed record Expected(string Key, long[] Shape, float First, float Last, double Sum);

    // Computed during development with numpy reading the raw storages directly (no torch): the keys and shapes are
    // what pickletools shows in the files; First and Last are the first and last elements in row-major order; Sum
    // is over all elements in float64.
    private static readonly Dictionary<string, Expected[]> Files = new()
    {
        ["pnet.pt"] =
        [
            new("conv1.weight", [10, 3, 3, 3], -0.08164716f, 0.50872f, 2.3487670375034213),
            new("conv1.bias", [10], -0.08283687f, 0.6673176f, 2.8166785170324147),
            new("prelu1.weight", [10], -0.6254063f, -1.2783165f, -2.3045754581689835),
            new("conv2.weight", [16, 10, 3, 3], -0.11650129f, -1.1300735f, -38.56578886404168),
            new("conv2.bias", [16], 1.0205368f, 2.7174163f, 20.170246325433254),
            new("prelu2.weight", [16], 0.06700239f, -0.058352172f, 1.459170639864169),
            new("conv3.weight", [32, 16, 3, 3], 0.0660219f, 0.15184991f, -43.27973151439073),
            new("conv3.bias", [32], -0.08974096f, 0.38524002f, 14.904955178499222),
            new("prelu3.weight", [32], 0.05278217f, 0.22450298f, -0.13740601483732462),
            new("conv4_1.weight", [2, 32, 1, 1], 0.072510906f, -0.04137005f, -0.6180732490029186),
            new("conv4_1.bias", [2], 0.0005302674f, -0.00050768396f, 2.2583466488867998e-05),
            new("conv4_2.weight", [4, 32, 1, 1], -0.00586978f, 0.018483736f, 0.17496657329320442),
            new("conv4_2.bias", [4], 0.021560501f, -0.012187507f, -0.0945487953722477),
        ],
        ["rnet.pt"] =
        [
            new("conv1.weight", [28, 3, 3, 3], -0.50315523f, -0.25710273f, 0.2354865306042484),
            new("conv1.bias", [28], -0.35307598f, -0.29254776f, -0.6750335756805725),
            new("prelu1.weight", [28], 1.2957295f, -0.08944089f, 2.559024509129813),
            new("conv2.weight", [48, 28, 3, 3], 0.05701504f, 0.002444292f, -81.3515734077614),
            new("conv2.bias", [48], 0.09402923f, -0.18402103f, 3.2191849225200713),
            new("prelu2.weight", [48], 0.18670359f, -0.1647258f, 9.674318769795718),
            new("conv3.weight", [64, 48, 2, 2], 0.0076741353f, 0.00044070094f, -32.82775296496493),
            new("conv3.bias", [64], -0.044562854f, 0.13520727f, 6.381507306476124),
            new("prelu3.weight", [64], -0.056568645f, -0.33981442f, -6.750260634813458),
            new("dense4.weight", [128, 576], 0.016650895f, -0.043069687f, -73.59475462388977),
            new("dense4.bias", [128], 0.02815165f, 0.026185298f, 10.947222149465233),
            new("prelu4.weight", [128], -0.06932154f, -0.4950951f, -15.986097855879052),
            new("dense5_1.weight", [2, 128], 0.15343183f, 0.7379752f, 0.0026843593223020434),
            new("dense5_1.bias", [2], -0.09449352f, 0.09449355f, 2.9802322387695312e-08),
            new("dense5_2.weight", [4, 128], -0.13378619f, -0.025467075f, -0.060092419109423645),
            new("dense5_2.bias", [4], 0.020075206f, -0.055201028f, -0.28041311353445053),
        ],
        ["onet.pt"] =
        [
            new("conv1.weight", [32, 3, 3, 3], 0.4814697f, 0.04789937f, -0.9298089276562678),
            new("conv1.bias", [32], 0.091005065f, -0.3352482f, -2.2123444087337703),
            new("prelu1.weight", [32], 0.060190994f, 0.35951397f, 2.3276954132543324),
            new("conv2.weight", [64, 32, 3, 3], -0.035384003f, -0.029666252f, -118.87277581477679),
            new("conv2.bias", [64], 0.06126148f, 0.10936299f, 2.5855131882126443),
            new("prelu2.weight", [64], -0.11673994f, 0.14176983f, 5.455084844288649),
            new("conv3.weight", [64, 64, 3, 3], -0.011495671f, 0.0047604805f, -52.35705870920677),
            new("conv3.bias", [64], -0.019624952f, 0.1739514f, 0.33937504934147),
            new("prelu3.weight", [64], -0.24755469f, 0.13472857f, 7.241568950237706),
            new("conv4.weight", [128, 64, 2, 2], 0.0366054f, -0.027960405f, -56.90709998856505),
            new("conv4.bias", [128], 0.17034224f, 0.16434763f, 7.317367306211963),
            new("prelu4.weight", [128], -0.13472715f, 0.094435215f, -10.447189961210825),
            new("dense5.weight", [256, 1152], 0.012195014f, 0.011740792f, -147.4867010438216),
            new("dense5.bias", [256], 0.10201196f, 0.07536677f, 13.970645303372294),
            new("prelu5.weight", [256], -0.034881633f, -0.046355262f, -10.840621989162173),
            new("dense6_1.weight", [2, 256], 0.029317426f, 0.056234017f, 0.014907685632351786),
            new("dense6_1.bias", [2], -0.17477238f, 0.17477264f, 2.5331974029541016e-07),
            new("dense6_2.weight", [4, 256], 0.043694f, -0.04382119f, 1.7635683065018384),
            new("dense6_2.bias", [4], 0.09993825f, -0.009516804f, 0.01855126954615116),
            new("dense6_3.weight", [10, 256], 0.020405492f, -0.022812549f, -0.8376480606541463),
            new("dense6_3.bias", [10], 0.3398737f, 0.7468567f, 5.417475014925003),
        ],
    };

    public static TheoryData<string> FileNames => ["pnet.pt", "rnet.pt", "onet.pt"];

    [Theory]
    [MemberData(nameof(FileNames))]
    public void Reads_every_tensor_with_its_name_shape_and_values(string fileName)
    {
        var path = TestFiles.MtcnnModel(fileName);
        using var stateDict = PyTorchCheckpoint.Read(path);

        var expected = Files[fileName];
        Assert.Equal(path, stateDict.Source);
        Assert.Equal(expected.Select(e => e.Key), stateDict.Keys);
        foreach (var entry in expected)
        {
            var tensor = stateDict[entry.Key];
            Assert.Equal(entry.Shape, tensor.shape);
            Assert.Equal(torch.ScalarType.Float32, tensor.dtype);
            Assert.True(tensor.is_contiguous(), entry.Key);
            var values = tensor.data<float>().ToArray();
            Assert.Equal(entry.First, values[0]);
            Assert.Equal(entry.Last, values[^1]);
            Assert.Equal(entry.Sum, values.Sum(v => (double)v), 1e-9 * Math.Max(1, Math.Abs(entry.Sum)));
        }
    }

    [Theory]
    [MemberData(nameof(FileNames))]
    public void A_seekable_stream_reads_as_the_file_does_and_names_the_source(string fileName)
    {
        var path = TestFiles.MtcnnModel(fileName);
        using var fromFile = PyTorchCheckpoint.Read(path);
        using var memory = new MemoryStream(File.ReadAllBytes(path), writable: false);
        memory.Position = 100;

        using var fromStream = PyTorchCheckpoint.Read(memory, $"embedded {fileName}");

        Assert.Equal($"embedded {fileName}", fromStream.Source);
        Assert.Equal(fromFile.Keys, fromStream.Keys);
        foreach (var key in fromFile.Keys)
        {
            TensorAssert.Identical(fromFile[key], fromStream[key], key);
        }
    }

    [Fact]
    public void A_stream_is_refused_when_it_cannot_seek_and_named_when_it_is_truncated()
    {
        var bytes = File.ReadAllBytes(TestFiles.MtcnnModel("pnet.pt"));
        using var forwardOnly = new ForwardOnlyStream(bytes);
        Assert.Throws<ArgumentException>(() => PyTorchCheckpoint.Read(forwardOnly, "pipe"));

        using var truncated = new MemoryStream(bytes[..1000], writable: false);
        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(truncated, "embedded pnet.pt"));
        Assert.StartsWith("embedded pnet.pt: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_offset_and_stride_select_the_elements_of_a_view()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("views.pt");

        // 'transposed': size (3,2), stride (1,3), offset 1 over 0..11 gives [[1,4],[2,5],[3,6]].
        // 'window': a legacy storage view (key 'w', offset 4, size 6) of the same root, read as (2,3) row-major.
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("transposed").FloatTensor("root", 12, 1, [3, 2], [1, 3])
            .Str("window").FloatTensor("root", 12, 0, [2, 3], [3, 1], view => view.Mark().Str("w").Int(4).Int(6).Tuple())
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteLegacy(path, pickle, [("root", Enumerable.Range(0, 12).Select(i => (float)i).ToArray())]);

        using var stateDict = PyTorchCheckpoint.Read(path);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], stateDict["transposed"].data<float>().ToArray());
        Assert.Equal([4f, 5f, 6f, 7f, 8f, 9f], stateDict["window"].data<float>().ToArray());
    }

    [Fact]
    public void A_checkpoint_saved_from_a_gpu_is_read_onto_the_cpu()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("cuda.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("w").FloatTensor("root", 3, 0, [3], [1], storageModule: "torch.cuda", location: "cuda:0")
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteLegacy(path, pickle, [("root", [0.5f, -1f, 2f])]);

        using var stateDict = PyTorchCheckpoint.Read(path);
        Assert.Equal(DeviceType.CPU, stateDict["w"].device_type);
        Assert.Equal([0.5f, -1f, 2f], stateDict["w"].data<float>().ToArray());
    }

    [Fact]
    public void A_tensor_reaching_past_its_storage_is_refused()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("overrun.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("w").FloatTensor("root", 12, 10, [4], [1])
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteLegacy(path, pickle, [("root", new float[12])]);

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("tensor 'w'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_the_pickle_names_but_the_file_lacks_is_an_unknown_storage_key()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("missing-storage.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Mark()
            .Str("a").FloatTensor("first", 2, 0, [2], [1])
            .Str("b").FloatTensor("second", 2, 0, [2], [1])
            .SetItems().Stop().ToArray();
        CheckpointBytes.WriteLegacy(path, pickle, [("first", [1f, 2f])]);

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("unknown storage key 'second'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_magic_number_is_reported_as_bad_magic()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("bad-magic.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Stop().ToArray();
        CheckpointBytes.WriteLegacy(path, pickle, [], magic: 12345);

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("bad magic number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)] // empty
    [InlineData(1)] // inside the magic number pickle
    [InlineData(100)] // inside the system info
    [InlineData(1000)] // inside the main pickle
    [InlineData(1800)] // inside the storage key list
    [InlineData(1940)] // inside the first storage's element count
    [InlineData(28569)] // one byte short of the last storage
    public void A_truncated_legacy_file_is_refused_with_its_name(int length)
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File($"pnet-{length}.pt");
        File.WriteAllBytes(path, File.ReadAllBytes(TestFiles.MtcnnModel("pnet.pt"))[..length]);

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(length == 0 ? "the file is empty" : "truncated", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A readable stream that cannot seek, like a pipe.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes, writable: false)
{
    public override bool CanSeek => false;
}
