using System.Security.Cryptography;
using FaceCluster.Torch;
using static TorchSharp.torch;

namespace FaceCluster.Vision;

/// <summary>The 68 landmarks of one face (iBUG 300-W order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67), in image pixels.</summary>
/// <param name="Box">The face box they were found in.</param>
/// <param name="Points">The 68 points.</param>
public sealed record FaceLandmarks68(FaceBox Box, IReadOnlyList<FacePoint> Points)
{
    /// <summary>The number of points.</summary>
    public const int Count = 68;
}

/// <summary>
/// face-api.js's 68-point landmark detector (<see cref="FaceLandmark68Net"/> with its published weights) and its pre-
/// and post-processing, reproduced exactly: the box is clipped to the image and floored to whole pixels
/// (<c>Box.clipAtImageBorders</c>), the crop is zero-padded to a square (<c>padToSquare(…, true)</c>: the larger half
/// after), resized to 112 x 112 with TF's legacy bilinear resize (no align-corners, no half-pixel centres), centred
/// on face-api.js's mean RGB and divided by 255; the outputs are mapped back as <c>FaceLandmark68NetBase.postProcess</c>
/// does (assuming the padding was split evenly) and shifted by the unclipped box's corner (<c>extendWithFaceLandmarks</c>).
/// </summary>
public sealed class FaceLandmarker : IDisposable
{
    /// <summary>face-api.js's mean RGB (<c>FaceFeatureExtractor</c>).</summary>
    private static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    private readonly FaceLandmark68Net _net;
    private bool _disposed;

    private FaceLandmarker(FaceLandmark68Net net) => _net = net;

    /// <summary>Loads the weights built into this assembly (checked against their SHA-256 sums once per process).</summary>
    /// <exception cref="InvalidDataException">The embedded weights are damaged.</exception>
    public static FaceLandmarker LoadEmbedded()
    {
        TorchRuntime.Initialize();
        return new FaceLandmarker(FaceLandmark68Net.Load(FaceLandmarkModels.ReadEmbedded()));
    }

    /// <summary>Loads the weights from a TF.js manifest (e.g. face-api.js's <c>face_landmark_68_model-weights_manifest.json</c>).</summary>
    /// <exception cref="FileNotFoundException">The manifest or its shard is missing.</exception>
    /// <exception cref="InvalidDataException">The files are malformed or do not fit the network.</exception>
    public static FaceLandmarker Load(string manifestPath)
    {
        TorchRuntime.Initialize();
        return new FaceLandmarker(FaceLandmark68Net.Load(TfjsWeights.Load(manifestPath)));
    }

    /// <summary>The landmarks of the face in <paramref name="box"/> of <paramref name="image"/>.</summary>
    /// <exception cref="ArgumentException">The box lies outside the image, or is less than a pixel wide or high inside it.</exception>
    public FaceLandmarks68 Detect(RgbImage image, FaceBox box) => Detect(image, [box])[0];

    /// <summary>The landmarks of each face in <paramref name="boxes"/> of <paramref name="image"/>, in order.</summary>
    /// <exception cref="ArgumentException">A box lies outside the image, or is less than a pixel wide or high inside it.</exception>
    public IReadOnlyList<FaceLandmarks68> Detect(RgbImage image, IReadOnlyList<FaceBox> boxes)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(boxes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (boxes.Count == 0)
        {
            return [];
        }

        const int Side = FaceLandmark68Net.InputSize;
        var crops = boxes.Select(b => Clip(b, image.Width, image.Height)).ToArray();
        var input = new float[boxes.Count * 3 * Side * Side];
        for (var i = 0; i < crops.Length; i++)
        {
            Prepare(image, crops[i], input.AsSpan(i * 3 * Side * Side, 3 * Side * Side));
        }

        float[] outputs;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var batch = tensor(input, [boxes.Count, 3, Side, Side]);
            outputs = _net.forward(batch).data<float>().ToArray();
        }

        var results = new FaceLandmarks68[boxes.Count];
        for (var i = 0; i < boxes.Count; i++)
        {
            results[i] = new FaceLandmarks68(boxes[i], PostProcess(outputs.AsSpan(i * FaceLandmark68Net.Outputs, FaceLandmark68Net.Outputs), crops[i], boxes[i]));
        }

        return results;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!_disposed)
        {
            _net.Dispose();
            _disposed = true;
        }
    }

    /// <summary>face-api.js's <c>Box.clipAtImageBorders(…).floor()</c>: the whole-pixel crop (x, y, width, height).</summary>
    internal static (int X, int Y, int Width, int Height) Clip(FaceBox box, int imageWidth, int imageHeight)
    {
        // face-api.js boxes are (x, y, width, height) in doubles; right = x + width as it computes it.
        double x = box.X1, y = box.Y1, width = (double)box.X2 - box.X1, height = (double)box.Y2 - box.Y1;
        var clippedX = Math.Max(x, 0);
        var clippedY = Math.Max(y, 0);
        var clippedWidth = Math.Min(x + width - clippedX, imageWidth - clippedX);
        var clippedHeight = Math.Min(y + height - clippedY, imageHeight - clippedY);
        var crop = ((int)Math.Floor(clippedX), (int)Math.Floor(clippedY), (int)Math.Floor(clippedWidth), (int)Math.Floor(clippedHeight));
        if (!double.IsFinite(x + y + width + height) || crop.Item3 < 1 || crop.Item4 < 1 || crop.Item1 >= imageWidth || crop.Item2 >= imageHeight)
        {
            throw new ArgumentException($"face box ({box.X1}, {box.Y1})-({box.X2}, {box.Y2}) leaves no whole pixel inside the {imageWidth} x {imageHeight} image");
        }

        return crop;
    }

    /// <summary>The crop, padded to a square, resized to 112 x 112 and normalised, written as CHW into <paramref name="target"/>.</summary>
    internal static void Prepare(RgbImage image, (int X, int Y, int Width, int Height) crop, Span<float> target)
    {
        const int Side = FaceLandmark68Net.InputSize;
        var size = Math.Max(crop.Width, crop.Height);
        var diff = Math.Abs(crop.Height - crop.Width);
        // padToSquare appends Math.round(diff / 2) and prepends the rest (JS rounds halves up).
        var prepend = diff - ((diff + 1) / 2);
        var (offsetX, offsetY) = crop.Height > crop.Width ? (prepend, 0) : (0, prepend);
        var pixels = image.Span;
        var square = new float[size * size * 3];
        for (var y = 0; y < crop.Height; y++)
        {
            for (var x = 0; x < crop.Width * 3; x++)
            {
                square[((y + offsetY) * size * 3) + (offsetX * 3) + x] = pixels[(((crop.Y + y) * image.Width) + crop.X) * 3 + x];
            }
        }

        float At(int row, int column, int channel) => square[(((row * size) + column) * 3) + channel];

        // tf.image.resizeBilinear with alignCorners = false and halfPixelCenters = false, as tfjs-backend-cpu computes it
        // (source = ratio * destination, in doubles, stored as float32); skipped when the square is already 112.
        var ratio = (double)size / Side;
        for (var r = 0; r < Side; r++)
        {
            var sourceRow = size == Side ? r : ratio * r;
            var top = Math.Max(0, (int)Math.Floor(sourceRow));
            var bottom = Math.Min(size - 1, (int)Math.Ceiling(sourceRow));
            var rowFraction = sourceRow - top;
            for (var c = 0; c < Side; c++)
            {
                var sourceColumn = size == Side ? c : ratio * c;
                var left = Math.Max(0, (int)Math.Floor(sourceColumn));
                var right = Math.Min(size - 1, (int)Math.Ceiling(sourceColumn));
                var columnFraction = sourceColumn - left;
                for (var channel = 0; channel < 3; channel++)
                {
                    double topLeft = At(top, left, channel), topRight = At(top, right, channel);
                    double bottomLeft = At(bottom, left, channel), bottomRight = At(bottom, right, channel);
                    var upper = topLeft + ((topRight - topLeft) * columnFraction);
                    var lower = bottomLeft + ((bottomRight - bottomLeft) * columnFraction);
                    var value = (float)(upper + ((lower - upper) * rowFraction));
                    // normalize(x, meanRgb).div(255), each step in float32.
                    target[(channel * Side * Side) + (r * Side) + c] = (value - MeanRgb[channel]) / 255f;
                }
            }
        }
    }

    /// <summary><c>postProcess</c> (float32, as TF.js computes it), then scaling by the crop and the shift by the box's corner.</summary>
    internal static FacePoint[] PostProcess(ReadOnlySpan<float> output, (int X, int Y, int Width, int Height) crop, FaceBox box)
    {
        const int Side = FaceLandmark68Net.InputSize;
        var scale = (double)Side / Math.Max(crop.Width, crop.Height);
        var width = crop.Width * scale;
        var height = crop.Height * scale;
        // face-api.js assumes the padding was split evenly, whatever padToSquare did with an odd difference.
        var padX = width < height ? (float)(Math.Abs(width - height) / 2) : 0f;
        var padY = height < width ? (float)(Math.Abs(width - height) / 2) : 0f;
        var points = new FacePoint[FaceLandmarks68.Count];
        for (var i = 0; i < points.Length; i++)
        {
            var relativeX = ((output[2 * i] * (float)Side) - padX) / (float)width;
            var relativeY = ((output[(2 * i) + 1] * (float)Side) - padY) / (float)height;
            points[i] = new FacePoint(
                (float)((relativeX * (double)crop.Width) + box.X1),
                (float)((relativeY * (double)crop.Height) + box.Y1));
        }

        return points;
    }
}

/// <summary>The face-api.js landmark weights embedded in this assembly (from <c>src/FaceCluster.Vision/Models/face-landmark-68/</c>).</summary>
public static class FaceLandmarkModels
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFile = "face_landmark_68_model-weights_manifest.json";

    /// <summary>The shard's file name.</summary>
    public const string ShardFile = "face_landmark_68_model.bin";

    /// <summary>The checksum file's name.</summary>
    public const string ChecksumFile = "SHA256SUMS";

    private const string ResourcePrefix = "FaceCluster.Vision.Models.face_landmark_68.";

    private static readonly Lazy<bool> Verified = new(Verify, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Reads the embedded weights, after checking them against the embedded sums (once per process).</summary>
    /// <exception cref="InvalidDataException">The embedded files do not match their sums.</exception>
    public static TfjsWeights ReadEmbedded()
    {
        _ = Verified.Value;
        return TfjsWeights.Read(ReadText(ManifestFile), ReadBytes, "the face landmark weights built into FaceCluster.Vision");
    }

    /// <summary>Opens an embedded file (the manifest, the shard, <c>SHA256SUMS</c>, <c>README.md</c> or a licence).</summary>
    /// <exception cref="ArgumentException">No such embedded file.</exception>
    public static Stream OpenEmbedded(string fileName) =>
        typeof(FaceLandmarkModels).Assembly.GetManifestResourceStream(ResourcePrefix + fileName)
        ?? throw new ArgumentException($"{fileName} is not one of the files embedded with the face landmark weights", nameof(fileName));

    private static string ReadText(string fileName)
    {
        using var reader = new StreamReader(OpenEmbedded(fileName));
        return reader.ReadToEnd();
    }

    private static byte[] ReadBytes(string fileName)
    {
        using var stream = OpenEmbedded(fileName);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static bool Verify()
    {
        var expected = MtcnnModels.ParseChecksums(ReadText(ChecksumFile), $"{ChecksumFile} of the face landmark weights");
        var problems = new List<string>();
        foreach (var name in new[] { ManifestFile, ShardFile })
        {
            var actual = Convert.ToHexStringLower(SHA256.HashData(ReadBytes(name)));
            if (!expected.TryGetValue(name, out var digest) || digest != actual)
            {
                problems.Add($"{name} has sha256 {actual}, {ChecksumFile} says {digest ?? "nothing"}");
            }
        }

        return problems.Count == 0
            ? true
            : throw new InvalidDataException($"the face landmark weights built into FaceCluster.Vision are damaged: {string.Join("; ", problems)}");
    }
}
