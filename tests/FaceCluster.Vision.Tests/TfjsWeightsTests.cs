using System.Buffers.Binary;

namespace FaceCluster.Vision.Tests;

/// <summary>The TF.js weights reader on manifests and shards written here, and on the embedded landmark weights.</summary>
public sealed class TfjsWeightsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string Manifest = """
        [{"paths": ["a.bin", "b.bin"], "weights": [
          {"name": "q/u8", "shape": [2, 3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.25}},
          {"name": "f/f32", "shape": [3], "dtype": "float32"},
          {"name": "q/u16", "shape": [2], "dtype": "float32", "quantization": {"min": 10, "scale": 0.25, "dtype": "uint16"}}
        ]}]
        """;

    /// <summary>Six uint8s, then three float32s split over the two shards, then two uint16s.</summary>
    private string WriteExample(string manifest = Manifest, int truncateBy = 0)
    {
        var bytes = new List<byte> { 0, 1, 2, 3, 4, 255 };
        foreach (var f in new[] { 1.5f, -2.25f, 1e-3f })
        {
            var b = new byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b, f);
            bytes.AddRange(b);
        }

        foreach (var u in new ushort[] { 0, 1000 })
        {
            var b = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, u);
            bytes.AddRange(b);
        }

        var all = bytes.Take(bytes.Count - truncateBy).ToArray();
        File.WriteAllBytes(Path.Combine(_temp.Path, "a.bin"), all[..8]);
        File.WriteAllBytes(Path.Combine(_temp.Path, "b.bin"), all[8..]);
        var path = Path.Combine(_temp.Path, "model-weights_manifest.json");
        File.WriteAllText(path, manifest);
        return path;
    }

    [Fact]
    public void Reads_quantised_and_float_tensors_across_shards()
    {
        var weights = TfjsWeights.Load(WriteExample());

        Assert.Equal(["q/u8", "f/f32", "q/u16"], weights.Names);
        var u8 = weights.Get("q/u8", 2, 3);
        Assert.Equal([2, 3], u8.Shape);
        Assert.Equal([-1.25f, -0.75f, -0.25f, 0.25f, 0.75f, 126.25f], u8.Values);
        Assert.Equal([1.5f, -2.25f, 1e-3f], weights.Get("f/f32", 3).Values);
        Assert.Equal([10f, 260f], weights.Get("q/u16").Values);
    }

    [Fact]
    public void A_missing_tensor_is_one_line_naming_it_and_the_file()
    {
        var path = WriteExample();
        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(path).Get("dense9/conv0/bias", 32));
        Assert.Contains("'dense9/conv0/bias' is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_misshaped_tensor_is_one_line_with_both_shapes()
    {
        var path = WriteExample();
        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(path).Get("q/u8", 3, 2));
        Assert.Contains("'q/u8' has shape [2, 3], expected [3, 2]", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_shard_names_the_tensor_that_runs_past_its_end()
    {
        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(WriteExample(truncateBy: 1)));
        Assert.Contains("'q/u16'", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains("a.bin + b.bin", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"dtype\": \"float32\"}", "\"dtype\": \"bool\"}", "'f/f32' has dtype 'bool'")]
    [InlineData("\"dtype\": \"uint8\", \"scale\"", "\"dtype\": \"int4\", \"scale\"", "'q/u8' has quantisation dtype 'int4'")]
    public void An_unknown_dtype_is_named(string from, string to, string expected)
    {
        var path = WriteExample(Manifest.Replace(from, to, StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => TfjsWeights.Load(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_shard_names_its_path()
    {
        var path = WriteExample();
        File.Delete(Path.Combine(_temp.Path, "b.bin"));
        var error = Assert.Throws<FileNotFoundException>(() => TfjsWeights.Load(path));
        Assert.Contains("b.bin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_landmark_weights_are_face_api_js_49_tensors_and_fit_the_network()
    {
        var weights = FaceLandmarkModels.ReadEmbedded();
        Assert.Equal(49, weights.Names.Count);
        // face-api.js's first filter: 3 x 3, RGB in, 32 out (HWIO); the dequantised values lie in [min, min + 255 * scale].
        var filters = weights.Get("dense0/conv0/filters", 3, 3, 3, 32);
        Assert.InRange(filters.Values.Min(), -0.5873f, -0.5872f + 1e-3f);
        Assert.Equal([256, 136], weights.Get("fc/weights").Shape);
        using var net = FaceLandmark68Net.Load(weights);
        Assert.Equal(49, net.parameters().Count());
    }

    [Fact]
    public void Weights_of_another_network_are_refused_with_the_missing_tensor_named()
    {
        var weights = TfjsWeights.Load(WriteExample());
        var error = Assert.Throws<InvalidDataException>(() => FaceLandmark68Net.Load(weights));
        Assert.Contains("'dense0/conv0/filters' is missing", error.Message, StringComparison.Ordinal);
    }
}
