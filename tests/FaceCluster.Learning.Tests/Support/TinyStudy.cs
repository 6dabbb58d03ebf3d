using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;
using FaceCluster.Tables;
using SkiaSharp;

namespace FaceCluster.Learning.Tests.Support;

/// <summary>
/// A tiny synthetic study for the DNN tests: rendered faces, their targets (<c>targets.parquet</c> of the aggregation,
/// written into the study folder) and a crop folder cut from the images table's face boxes (no MTCNN), made once per
/// test assembly.
/// </summary>
/// <remarks>
/// The mimic crops are the rendered mimics, cut at the table's face box: participants of other identities, poses,
/// lighting and backgrounds imitating the seed's expression, so that a model can only predict a seed's targets from a
/// mimic by reading its expression. 36 mimics of each of 8 seeds (each participant imitates every seed) are enough
/// for a randomly initialised trunk (no VGGFace2 weights offline) with a trained <c>block8</c> and head to halve the
/// mean predictor's held-out error.
/// </remarks>
public sealed class TinyStudy : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-dnn-tests-").FullName;

    /// <summary>The study folder (with targets.parquet).</summary>
    public string StudyFolder => Path.Combine(_root, "study");

    /// <summary>targets.parquet.</summary>
    public string TargetsPath => Path.Combine(StudyFolder, StudyAggregation.TargetsFile);

    /// <summary>The crop folder.</summary>
    public string CropsFolder => Path.Combine(_root, "crops");

    /// <summary>
    /// The same crops with only the first 3 mimics of each seed cropped (24 mimics; the others have status
    /// <c>no_face</c>): for the tests that train through the whole network or several times.
    /// </summary>
    public string SmallCropsFolder => Path.Combine(_root, "crops-small");

    /// <summary>Seeds of the study.</summary>
    public int Seeds { get; } = 8;

    /// <summary>Mimics per seed.</summary>
    public int MimicsPerSeed { get; } = 36;

    /// <summary>A fresh folder under the fixture's root.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(_root, $"{name}-{Guid.NewGuid():N}")).FullName;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var options = new SyntheticStudyOptions
        {
            Seeds = Seeds,
            MimicsPerSeed = MimicsPerSeed,
            Countries = ["US", "CN"],
            Concepts = 6,
            Dimensions = 4,
            Universal = 3,
            Seed = 5,
            Threads = 2,
        };
        await SyntheticStudyGenerator.GenerateAsync(SyntheticStudy.Create(options), StudyFolder, overwrite: true).ConfigureAwait(false);
        var aggregation = await StudyAggregator.AggregateAsync(StudyFolder).ConfigureAwait(false);
        await aggregation.WriteAsync(StudyFolder).ConfigureAwait(false);
        await WriteCropsAsync(StudyFolder, CropsFolder, shardSize: 80).ConfigureAwait(false);
        var all = CropSet.Open(CropsFolder);
        await all.Manifest.WriteAsync(Directory.CreateDirectory(SmallCropsFolder).FullName).ConfigureAwait(false);
        Directory.CreateDirectory(CropSet.ShardFolder(SmallCropsFolder));
        foreach (var (start, end, path) in all.Shards)
        {
            var records = (await CropShard.ReadAsync(path).ConfigureAwait(false))
                .Select(r => r.Kind == "mimic" && string.CompareOrdinal(r.ImageId[^3..], "003") > 0
                    ? r with { Status = CropStatus.NoFace, Reason = "left out of the small set", Box = null, Pixels = null }
                    : r)
                .ToList();
            await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(SmallCropsFolder), CropShard.FileName(start, end)), records).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a run for.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Crops every image of <paramref name="studyFolder"/> at its table box, resized to 160 x 160, into a crop folder.
    /// </summary>
    public static async Task WriteCropsAsync(string studyFolder, string cropsFolder, int shardSize, string normalization = "prewhiten")
    {
        var images = await ParquetTableReader.ReadAllAsync(Path.Combine(studyFolder, "images.parquet")).ConfigureAwait(false);
        string?[] Text(string name) => (string?[])images.FindColumn(name)!.Values;
        double Number(string name, int row) => Convert.ToDouble(images.FindColumn(name)!.GetValue(row), System.Globalization.CultureInfo.InvariantCulture);
        var ids = Text("image_id");
        var kinds = Text("kind");
        var seeds = Text("seed_id");
        var paths = Text("path");
        Directory.CreateDirectory(CropSet.ShardFolder(cropsFolder));
        var manifest = new CropSetManifest(
            CropSetManifest.CurrentFormat, "tiny", Path.GetFullPath(studyFolder), images.RowCount, shardSize, 160, 0, normalization, "probable", 20, [0.6, 0.7, 0.7], 0.709, true);
        await manifest.WriteAsync(cropsFolder).ConfigureAwait(false);
        CropBox Box(int i) => new((float)Number("face_x1", i), (float)Number("face_y1", i), (float)Number("face_x2", i), (float)Number("face_y2", i));
        for (var start = 0; start < images.RowCount; start += shardSize)
        {
            var end = Math.Min(images.RowCount, start + shardSize);
            var records = new List<FaceCropRecord>();
            for (var i = start; i < end; i++)
            {
                var box = Box(i);
                using var source = SKBitmap.Decode(Path.Combine(studyFolder, paths[i]!));
                var pixels = Crop(source, box);
                records.Add(new FaceCropRecord(
                    ids[i]!, kinds[i]!, seeds[i]!, CropStatus.FallbackBox, "table box", source.Width, source.Height, 0, box, null, null, pixels));
            }

            await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(cropsFolder), CropShard.FileName(start, end)), records).ConfigureAwait(false);
        }
    }

    private static byte[] Crop(SKBitmap source, CropBox box)
    {
        using var target = new SKBitmap(new SKImageInfo(160, 160, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawImage(image, new SKRect(box.X1, box.Y1, box.X2, box.Y2), new SKRect(0, 0, 160, 160), new SKSamplingOptions(SKFilterMode.Linear));
        }

        var rgba = target.Bytes;
        var rgb = new byte[160 * 160 * 3];
        for (int p = 0, q = 0; p < rgb.Length; p += 3, q += 4)
        {
            rgb[p] = rgba[q];
            rgb[p + 1] = rgba[q + 1];
            rgb[p + 2] = rgba[q + 2];
        }

        return rgb;
    }
}
