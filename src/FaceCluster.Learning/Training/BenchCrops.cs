using FaceCluster.Learning.Model;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Vision;

namespace FaceCluster.Learning.Training;

/// <summary>
/// A generated study for timing staging: <c>study.json</c>, <c>targets.parquet</c> and a crop folder of mimic crops
/// (shards of 256 as <c>facecluster crop</c> writes them), without rendering or detecting faces.
/// </summary>
internal static class BenchCrops
{
    private const int ShardSize = 256;

    /// <summary>Writes <paramref name="faces"/> mimic crops under <paramref name="folder"/>; returns the study, targets and crop paths.</summary>
    public static async Task<(string StudyFolder, string TargetsPath, string CropsFolder)> WriteAsync(string folder, int faces, CancellationToken cancellationToken)
    {
        var studyFolder = Directory.CreateDirectory(Path.Combine(folder, "study")).FullName;
        var cropsFolder = Path.Combine(folder, "crops");
        var targetsPath = Path.Combine(studyFolder, StudyAggregation.TargetsFile);
        var concepts = Enumerable.Range(1, 6).Select(k => FormattableString.Invariant($"C{k}")).ToArray();
        var manifest = new StudyManifest("bench-staging", ["US"], concepts, new Dictionary<string, string> { ["US"] = "en" });
        await manifest.WriteAsync(Path.Combine(studyFolder, StudyManifest.FileName), cancellationToken).ConfigureAwait(false);

        var seeds = Math.Max(WideTable.MinimumRows, faces / 16);
        var seedIds = Enumerable.Range(1, seeds).Select(s => FormattableString.Invariant($"S{s:D5}")).ToArray();
        var random = new Random(1);
        var values = Enumerable.Range(0, seeds * concepts.Length).Select(_ => random.NextDouble()).ToArray();
        await WideTableWriter.WriteAsync(new WideTable(seedIds, [.. manifest.Attributes], values, targetsPath), targetsPath, cancellationToken).ConfigureAwait(false);

        var size = InceptionResnetV1.InputSize;
        Directory.CreateDirectory(CropSet.ShardFolder(cropsFolder));
        await new CropSetManifest(
            CropSetManifest.CurrentFormat, manifest.Name, studyFolder, faces, ShardSize, size, 0, FaceNormalization.PrewhitenMode, "probable", 20, [0.6, 0.7, 0.7], 0.709, true)
            .WriteAsync(cropsFolder, cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < faces; start += ShardSize)
        {
            var end = Math.Min(faces, start + ShardSize);
            var records = new List<FaceCropRecord>(end - start);
            for (var i = start; i < end; i++)
            {
                records.Add(new FaceCropRecord(
                    FormattableString.Invariant($"M{i:D7}"), "mimic", seedIds[i % seeds], CropStatus.Ok, null, 640, 480, 1, new CropBox(100, 80, 300, 320), 0.99f, null, Pixels(i, size)));
            }

            await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(cropsFolder), CropShard.FileName(start, end)), records, cancellationToken).ConfigureAwait(false);
        }

        return (studyFolder, targetsPath, cropsFolder);
    }

    /// <summary>A smooth colour gradient with noise: about as compressible as a photograph, unlike uniform noise.</summary>
    private static byte[] Pixels(int face, int size)
    {
        var random = new Random(face + 1);
        var pixels = new byte[size * size * 3];
        Span<int> colour = [random.Next(40, 200), random.Next(40, 200), random.Next(40, 200)];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var value = colour[c] + ((x - y) * (c + 1) / 8) + random.Next(-12, 13);
                    pixels[(((y * size) + x) * 3) + c] = (byte)Math.Clamp(value, 0, 255);
                }
            }
        }

        return pixels;
    }
}
