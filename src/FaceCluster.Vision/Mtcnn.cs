using System.Runtime.InteropServices;
using FaceCluster.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceCluster.Vision;

/// <summary>
/// MTCNN face detection (Zhang et al. 2016) as facenet-pytorch's <c>detect_face</c>, on TorchSharp, batched.
/// </summary>
/// <remarks>
/// <para>The algorithm, step for step as facenet-pytorch (models/utils/detect_face.py):</para>
/// <list type="number">
/// <item>Pyramid: scales <c>m * factor^k</c> with <c>m = 12 / MinFaceSize</c> while <c>min(h, w) * scale &gt;= 12</c>;
/// each level is the image resized to <c>(int(h * scale + 1), int(w * scale + 1))</c> with area interpolation
/// (PyTorch's <c>interpolate(mode="area")</c>, computed here from a summed-area table, bit for bit) and normalised
/// <c>(x - 127.5) * 0.0078125</c>.</item>
/// <item>PNet on every level; cells with face probability <c>&gt;= Thresholds[0]</c> become boxes
/// <c>floor((2 * cell + 1) / scale)</c> to <c>floor((2 * cell + 12) / scale)</c>; NMS 0.5 (IoU) per level, then
/// NMS 0.7 across levels; box regression with the box's width and height; squaring (<c>rerec</c>).</item>
/// <item>RNet on 24 x 24 area-resampled crops of the boxes (<c>pad</c>: truncated to integers, clamped to the image);
/// probability <c>&gt; Thresholds[1]</c>; NMS 0.7; regression with width + 1 (<c>bbreg</c>); squaring.</item>
/// <item>ONet on 48 x 48 crops; probability <c>&gt; Thresholds[2]</c>; landmarks
/// <c>(w + 1) * p + x1 - 1</c> from the box before regression; regression; NMS 0.7 with the overlap over the smaller
/// box ('Min').</item>
/// </list>
/// <para>Differences from facenet-pytorch, none of which changes a detection of an image taken alone: images of
/// different sizes may share a call (they are grouped by size for PNet); NMS runs per image rather than with
/// torchvision's coordinate-offset trick (so a face never depends on the other images of the batch) and breaks ties
/// of equal scores by candidate order (deterministic); a box lying wholly outside the image is dropped instead of
/// misaligning the crops that follow it (a facenet-pytorch bug). Coordinates and regressions are computed in float as
/// there.</para>
/// <para>The networks get channels-last tensors (NCHW shape, NHWC memory). On this project's AMD Zen 5 machines,
/// oneDNN's convolution on NCHW input with a channel count that is not a multiple of 16 (RNet's 28) gave wrong results
/// for batches of more than one crop; its NHWC kernels are right, and faster for three-channel input. The tests
/// compare batched and single-crop outputs to catch a regression.</para>
/// <para>One instance may serve concurrent calls: the networks are only read, and each call uses its own tensors.</para>
/// </remarks>
public sealed class Mtcnn : IDisposable
{
    /// <summary>The file names of the three networks' weights in a model folder.</summary>
    public static readonly IReadOnlyList<string> WeightFiles = ["pnet.pt", "rnet.pt", "onet.pt"];

    /// <summary>Images of one size run through PNet together, at most this many at a time...</summary>
    private const int ImageBatch = 8;

    /// <summary>
    /// ...and at most this many pixels (five 640 x 480 photos; larger images go one at a time). PNet's first
    /// activation holds 40 bytes per pixel of the first pyramid level, 0.36 of the image's pixels at the default scale.
    /// </summary>
    private const long BatchPixels = 1_600_000;

    private readonly PNet _pnet;
    private readonly RNet _rnet;
    private readonly ONet _onet;
    private readonly float[] _thresholds;
    private bool _disposed;

    private Mtcnn(PNet pnet, RNet rnet, ONet onet, MtcnnOptions options)
    {
        Options = options;
        Device = TorchRuntime.SelectDevice(options.Device);
        _thresholds = [.. options.Thresholds];
        _pnet = pnet;
        _rnet = rnet;
        _onet = onet;
        foreach (var module in new nn.Module[] { pnet, rnet, onet })
        {
            module.to(Device);
            module.eval();
        }
    }

    /// <summary>The options it was made with.</summary>
    public MtcnnOptions Options { get; }

    /// <summary>Where the networks run.</summary>
    public Device Device { get; }

    /// <summary>
    /// Loads facenet-pytorch's weights (<c>pnet.pt</c>, <c>rnet.pt</c>, <c>onet.pt</c>, PyTorch state dicts in either
    /// serialisation) from <paramref name="modelDirectory"/>, strictly: every key and shape must match.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or the device is not available.</exception>
    /// <exception cref="FileNotFoundException">A weight file is missing; the message names the folder.</exception>
    /// <exception cref="FaceCluster.Torch.Checkpoints.CheckpointFormatException">A file is not a checkpoint or does not fit its network.</exception>
    public static Mtcnn Load(string modelDirectory, MtcnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        options ??= new MtcnnOptions();
        options.ThrowIfInvalid();
        foreach (var name in WeightFiles)
        {
            if (!File.Exists(Path.Combine(modelDirectory, name)))
            {
                throw new FileNotFoundException(
                    $"MTCNN weights not found: {Path.Combine(modelDirectory, name)} (the folder needs {string.Join(", ", WeightFiles)}; see {MtcnnModels.DirectoryVariable})",
                    Path.Combine(modelDirectory, name));
            }
        }

        return Build(options, (module, name) => MtcnnWeights.Load(module, Path.Combine(modelDirectory, name)));
    }

    /// <summary>
    /// Loads facenet-pytorch's weights built into this assembly (checked against their SHA-256 sums once per process).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or the device is not available.</exception>
    /// <exception cref="InvalidDataException">The embedded weights do not match their checksums (a damaged build).</exception>
    public static Mtcnn LoadEmbedded(MtcnnOptions? options = null)
    {
        options ??= new MtcnnOptions();
        options.ThrowIfInvalid();
        MtcnnModels.VerifyEmbeddedWeights();
        return Build(options, (module, name) =>
        {
            using var stream = MtcnnModels.OpenEmbedded(name);
            MtcnnWeights.Load(module, stream, $"embedded {name}");
        });
    }

    /// <summary>
    /// Loads the weights from <paramref name="modelDirectory"/> when it is not empty, else from the folder in
    /// <see cref="MtcnnModels.DirectoryVariable"/> when set, else the embedded ones (<see cref="MtcnnModels.ResolveDirectory"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or the device is not available.</exception>
    /// <exception cref="FileNotFoundException">A weight file is missing from the folder.</exception>
    /// <exception cref="FaceCluster.Torch.Checkpoints.CheckpointFormatException">A file is not a checkpoint or does not fit its network.</exception>
    /// <exception cref="InvalidDataException">The embedded weights do not match their checksums (a damaged build).</exception>
    public static Mtcnn LoadDefault(string? modelDirectory, MtcnnOptions? options = null) =>
        MtcnnModels.ResolveDirectory(modelDirectory) is { } folder ? Load(folder, options) : LoadEmbedded(options);

    /// <summary>Builds the three networks, fills each through <paramref name="load"/> (module, file name) and makes the detector.</summary>
    private static Mtcnn Build(MtcnnOptions options, Action<nn.Module, string> load)
    {
        TorchRuntime.Initialize();
        PNet pnet;
        RNet rnet;
        ONet onet;
        lock (TorchRuntime.RandomGate)
        {
            // Building draws initial weights (replaced by the files') from the process-wide generator.
            pnet = new PNet();
            rnet = new RNet();
            onet = new ONet();
        }

        try
        {
            load(pnet, WeightFiles[0]);
            load(rnet, WeightFiles[1]);
            load(onet, WeightFiles[2]);
            return new Mtcnn(pnet, rnet, onet, options);
        }
        catch
        {
            pnet.Dispose();
            rnet.Dispose();
            onet.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A detector over networks the caller made (for example with weights loaded another way); it takes ownership
    /// of them, moves them to the options' device and puts them in evaluation mode.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid, or the device is not available.</exception>
    public static Mtcnn Create(PNet pnet, RNet rnet, ONet onet, MtcnnOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pnet);
        ArgumentNullException.ThrowIfNull(rnet);
        ArgumentNullException.ThrowIfNull(onet);
        options ??= new MtcnnOptions();
        options.ThrowIfInvalid();
        return new Mtcnn(pnet, rnet, onet, options);
    }

    /// <summary>The faces in one image, most probable first; see <see cref="Detect(IReadOnlyList{RgbImage})"/>.</summary>
    public IReadOnlyList<FaceDetection> Detect(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Detect([image])[0];
    }

    /// <summary>
    /// The faces in each image (one list per image, in order, most probable first; empty when none is found).
    /// Images may differ in size.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<FaceDetection>> Detect(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var results = new IReadOnlyList<FaceDetection>[images.Count];
        using var noGrad = no_grad();
        foreach (var group in Enumerable.Range(0, images.Count).GroupBy(i => (images[i].Width, images[i].Height)))
        {
            var (width, height) = group.Key;
            var perChunk = (int)Math.Clamp(BatchPixels / ((long)width * height), 1, ImageBatch);
            foreach (var chunk in group.Chunk(perChunk))
            {
                var found = DetectSameSize([.. chunk.Select(i => images[i])]);
                for (var k = 0; k < chunk.Length; k++)
                {
                    results[chunk[k]] = found[k];
                }
            }
        }

        return results;
    }

    /// <summary>The face <see cref="MtcnnOptions.Selection"/> keeps: the most probable or the largest; null when there is none.</summary>
    public FaceDetection? SelectFace(IReadOnlyList<FaceDetection> faces) => SelectFace(faces, Options.Selection);

    /// <summary>The face <paramref name="selection"/> keeps; ties go to the earlier face; null when there is none.</summary>
    public static FaceDetection? SelectFace(IReadOnlyList<FaceDetection> faces, FaceSelection selection)
    {
        ArgumentNullException.ThrowIfNull(faces);
        FaceDetection? best = null;
        foreach (var face in faces)
        {
            if (best is null || (selection == FaceSelection.Largest ? face.Box.Area > best.Box.Area : face.Probability > best.Probability))
            {
                best = face;
            }
        }

        return best;
    }

    /// <summary>The pyramid scales facenet-pytorch uses for an image of this size.</summary>
    public static IReadOnlyList<double> PyramidScales(int width, int height, int minFaceSize, double factor)
    {
        var scales = new List<double>();
        var scale = 12.0 / minFaceSize;
        var minLength = Math.Min(height, width) * scale;
        while (minLength >= 12)
        {
            scales.Add(scale);
            scale *= factor;
            minLength *= factor;
        }

        return scales;
    }

    /// <summary>Releases the networks.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _pnet.Dispose();
            _rnet.Dispose();
            _onet.Dispose();
        }
    }

    private List<FaceDetection>[] DetectSameSize(RgbImage[] batch)
    {
        var count = batch.Length;
        var integrals = new IntegralImage[count];
        try
        {
            Parallel.For(0, count, b => integrals[b] = new IntegralImage(batch[b]));
            var proposals = ProposeBoxes(integrals);
            var refined = Refine(integrals, proposals);
            return Output(integrals, refined);
        }
        finally
        {
            foreach (var integral in integrals)
            {
                integral?.Dispose();
            }
        }
    }

    /// <summary>Stage 1: PNet over the pyramid; returns per image the squared, regressed boxes.</summary>
    private List<Candidate>[] ProposeBoxes(IntegralImage[] integrals)
    {
        var count = integrals.Length;
        var width = integrals[0].Width;
        var height = integrals[0].Height;
        var perImage = new List<ProposalBox>[count];
        for (var b = 0; b < count; b++)
        {
            perImage[b] = [];
        }

        foreach (var scale in PyramidScales(width, height, Options.MinFaceSize, Options.ScaleFactor))
        {
            var levelHeight = (int)((height * scale) + 1);
            var levelWidth = (int)((width * scale) + 1);
            var plane = 3 * levelHeight * levelWidth;
            using var scope = NewDisposeScope();
            var input = empty([count, levelHeight, levelWidth, 3], ScalarType.Float32);
            Parallel.For(0, count, b => integrals[b].ResampleNormalized(0, 0, width, height, levelHeight, levelWidth, Floats(input).Slice(b * plane, plane)));
            var (reg, prob) = _pnet.call(ChannelsLast(input));
            var probabilities = prob.select(1, 1).contiguous().cpu();
            var regression = reg.contiguous().cpu();
            var cells = (int)(prob.shape[2] * prob.shape[3]);
            var outWidth = (int)prob.shape[3];
            var threshold = _thresholds[0];
            var fscale = (float)scale;
            for (var b = 0; b < count; b++)
            {
                var p = Floats(probabilities).Slice(b * cells, cells);
                var r = Floats(regression).Slice(b * 4 * cells, 4 * cells);
                var level = new List<ProposalBox>();
                for (var cell = 0; cell < cells; cell++)
                {
                    if (!(p[cell] >= threshold))
                    {
                        continue;
                    }

                    float cy = cell / outWidth, cx = cell % outWidth;
                    level.Add(new ProposalBox(
                        new Candidate(
                            MathF.Floor(((2 * cx) + 1) / fscale),
                            MathF.Floor(((2 * cy) + 1) / fscale),
                            MathF.Floor(((2 * cx) + 12) / fscale),
                            MathF.Floor(((2 * cy) + 12) / fscale),
                            p[cell]),
                        r[cell], r[cell + cells], r[cell + (2 * cells)], r[cell + (3 * cells)]));
                }

                foreach (var k in Nms.Union(Boxes(level), 0.5))
                {
                    perImage[b].Add(level[k]);
                }
            }
        }

        var result = new List<Candidate>[count];
        for (var b = 0; b < count; b++)
        {
            var all = perImage[b];
            var kept = new List<Candidate>();
            foreach (var k in Nms.Union(Boxes(all), 0.7))
            {
                var (box, r0, r1, r2, r3) = all[k];
                var w = box.X2 - box.X1;
                var h = box.Y2 - box.Y1;
                kept.Add(Rerec(new Candidate(box.X1 + (r0 * w), box.Y1 + (r1 * h), box.X2 + (r2 * w), box.Y2 + (r3 * h), box.Score)));
            }

            result[b] = kept;
        }

        return result;
    }

    /// <summary>Stage 2: RNet on 24 x 24 crops.</summary>
    private List<Candidate>[] Refine(IntegralImage[] integrals, List<Candidate>[] proposals)
    {
        var crops = Crops(integrals, proposals);
        var boxes = crops.Boxes;
        var n = boxes.Count;
        var regression = new float[n * 4];
        var scores = new float[n];
        RunInChunks(integrals, crops, 24, (x, start, length) =>
        {
            var (reg, prob) = _rnet.call(x);
            Copy(reg, regression.AsSpan(start * 4, length * 4));
            Copy(prob.select(1, 1), scores.AsSpan(start, length));
        });

        var result = new List<Candidate>[integrals.Length];
        for (var b = 0; b < integrals.Length; b++)
        {
            var passed = new List<int>();
            for (var k = 0; k < n; k++)
            {
                if (crops.Owners[k] == b && scores[k] > _thresholds[1])
                {
                    passed.Add(k);
                }
            }

            var candidates = passed.Select(k => boxes[k] with { Score = scores[k] }).ToArray();
            var kept = new List<Candidate>();
            foreach (var i in Nms.Union(candidates, 0.7))
            {
                var k = passed[i];
                kept.Add(Rerec(BoxRegression(candidates[i], regression.AsSpan(k * 4, 4))));
            }

            result[b] = kept;
        }

        return result;
    }

    /// <summary>Stage 3: ONet on 48 x 48 crops, landmarks, the final 'Min' NMS.</summary>
    private List<FaceDetection>[] Output(IntegralImage[] integrals, List<Candidate>[] refined)
    {
        var crops = Crops(integrals, refined);
        var boxes = crops.Boxes;
        var n = boxes.Count;
        var regression = new float[n * 4];
        var landmarks = new float[n * 10];
        var scores = new float[n];
        RunInChunks(integrals, crops, 48, (x, start, length) =>
        {
            var (reg, marks, prob) = _onet.call(x);
            Copy(reg, regression.AsSpan(start * 4, length * 4));
            Copy(marks, landmarks.AsSpan(start * 10, length * 10));
            Copy(prob.select(1, 1), scores.AsSpan(start, length));
        });

        var result = new List<FaceDetection>[integrals.Length];
        for (var b = 0; b < integrals.Length; b++)
        {
            var passed = new List<int>();
            for (var k = 0; k < n; k++)
            {
                if (crops.Owners[k] == b && scores[k] > _thresholds[2])
                {
                    passed.Add(k);
                }
            }

            var regressed = new Candidate[passed.Count];
            var points = new FacePoint[passed.Count][];
            for (var i = 0; i < passed.Count; i++)
            {
                var k = passed[i];
                var box = boxes[k] with { Score = scores[k] };
                var w = box.X2 - box.X1 + 1;
                var h = box.Y2 - box.Y1 + 1;
                points[i] = new FacePoint[FaceDetection.LandmarkCount];
                for (var j = 0; j < FaceDetection.LandmarkCount; j++)
                {
                    points[i][j] = new FacePoint((w * landmarks[(k * 10) + j]) + box.X1 - 1, (h * landmarks[(k * 10) + 5 + j]) + box.Y1 - 1);
                }

                regressed[i] = BoxRegression(box, regression.AsSpan(k * 4, 4));
            }

            var faces = new List<FaceDetection>();
            foreach (var i in Nms.Minimum(regressed, 0.7))
            {
                var box = regressed[i];
                faces.Add(new FaceDetection(new FaceBox(box.X1, box.Y1, box.X2, box.Y2), box.Score, points[i]));
            }

            // NMS returns them best first; a stable sort keeps that order for equal probabilities.
            result[b] = [.. faces.OrderByDescending(f => f.Probability)];
        }

        return result;
    }

    /// <summary>
    /// facenet-pytorch's <c>pad</c>: each box truncated to integers and clamped to the image, as the region to crop.
    /// Boxes wholly outside the image are left out.
    /// </summary>
    private static CropSet Crops(IntegralImage[] integrals, List<Candidate>[] perImage)
    {
        var crops = new CropSet([], [], []);
        for (var b = 0; b < perImage.Length; b++)
        {
            var width = integrals[b].Width;
            var height = integrals[b].Height;
            foreach (var box in perImage[b])
            {
                var x = Math.Max((int)box.X1, 1);
                var y = Math.Max((int)box.Y1, 1);
                var ex = Math.Min((int)box.X2, width);
                var ey = Math.Min((int)box.Y2, height);
                if (ex > x - 1 && ey > y - 1)
                {
                    crops.Owners.Add(b);
                    crops.Boxes.Add(box);
                    crops.Regions.Add(new CropRegion(x - 1, y - 1, ex, ey));
                }
            }
        }

        return crops;
    }

    /// <summary>
    /// Cuts the crops out, area-resampled to <paramref name="size"/> squared, straight into input tensors of at most
    /// <see cref="MtcnnOptions.MaxNetworkBatch"/> crops, and runs <paramref name="run"/> on each.
    /// </summary>
    private void RunInChunks(IntegralImage[] integrals, CropSet crops, int size, Action<Tensor, int, int> run)
    {
        var plane = 3 * size * size;
        for (var start = 0; start < crops.Boxes.Count; start += Options.MaxNetworkBatch)
        {
            var length = Math.Min(Options.MaxNetworkBatch, crops.Boxes.Count - start);
            using var scope = NewDisposeScope();
            var input = empty([length, size, size, 3], ScalarType.Float32);
            Parallel.For(0, length, i =>
            {
                var region = crops.Regions[start + i];
                integrals[crops.Owners[start + i]].ResampleNormalized(
                    region.X1, region.Y1, region.Width, region.Height, size, size, Floats(input).Slice(i * plane, plane));
            });
            run(ChannelsLast(input), start, length);
        }
    }

    /// <summary>
    /// NHWC data as an NCHW tensor with channels-last strides, on the device. Convolutions then run on oneDNN's NHWC
    /// kernels; see the remarks of <see cref="Mtcnn"/> on why NCHW input is avoided.
    /// </summary>
    private Tensor ChannelsLast(Tensor nhwc) => nhwc.to(Device).permute(0, 3, 1, 2);

    /// <summary>The values of a contiguous float tensor on the CPU, in place.</summary>
    private static Span<float> Floats(Tensor tensor) => MemoryMarshal.Cast<byte, float>(tensor.bytes);

    private static void Copy(Tensor source, Span<float> destination)
    {
        if (source.numel() != destination.Length)
        {
            throw new InvalidOperationException($"expected {destination.Length} values from the network, got {source.numel()}");
        }

        Floats(source.contiguous().cpu()).CopyTo(destination);
    }

    private static Candidate[] Boxes(List<ProposalBox> boxes) => [.. boxes.Select(p => p.Box)];

    /// <summary>facenet-pytorch's <c>rerec</c>: the square of side max(w, h) centred on the box.</summary>
    private static Candidate Rerec(Candidate box)
    {
        var h = box.Y2 - box.Y1;
        var w = box.X2 - box.X1;
        var l = Math.Max(w, h);
        var x1 = box.X1 + (w * 0.5f) - (l * 0.5f);
        var y1 = box.Y1 + (h * 0.5f) - (l * 0.5f);
        return new Candidate(x1, y1, x1 + l, y1 + l, box.Score);
    }

    /// <summary>facenet-pytorch's <c>bbreg</c>: offsets in units of the box's width and height plus one.</summary>
    private static Candidate BoxRegression(Candidate box, ReadOnlySpan<float> reg)
    {
        var w = box.X2 - box.X1 + 1;
        var h = box.Y2 - box.Y1 + 1;
        return new Candidate(box.X1 + (reg[0] * w), box.Y1 + (reg[1] * h), box.X2 + (reg[2] * w), box.Y2 + (reg[3] * h), box.Score);
    }

    private sealed record CropSet(List<int> Owners, List<Candidate> Boxes, List<CropRegion> Regions);

    private readonly record struct ProposalBox(Candidate Box, float R0, float R1, float R2, float R3);
}
