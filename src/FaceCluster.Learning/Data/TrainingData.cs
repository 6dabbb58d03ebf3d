using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FaceCluster.Learning.Model;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Vision;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Data;

/// <summary>The training targets: each seed's full row of <c>targets.parquet</c>, in the study manifest's attribute order.</summary>
public sealed class SeedTargets
{
    private readonly Dictionary<string, float[]> _rows;

    private SeedTargets(StudyManifest manifest, Dictionary<string, float[]> rows, string path)
    {
        Manifest = manifest;
        _rows = rows;
        Path = path;
    }

    /// <summary>The study manifest (countries, concepts, attributes).</summary>
    public StudyManifest Manifest { get; }

    /// <summary>The targets file.</summary>
    public string Path { get; }

    /// <summary>Values per seed (countries x concepts).</summary>
    public int Width => Manifest.Attributes.Count;

    /// <summary>Seeds with targets.</summary>
    public int Count => _rows.Count;

    /// <summary>The row of <paramref name="seedId"/>, or null when the table has none.</summary>
    public float[]? Row(string seedId) => _rows.GetValueOrDefault(seedId);

    /// <summary>
    /// Reads <paramref name="targetsPath"/> (a wide table) against the manifest of <paramref name="studyFolder"/>: every
    /// attribute of the manifest must be a column (extra columns are an error too), matched by name.
    /// </summary>
    /// <exception cref="InvalidInputException">The manifest or the table is missing or invalid, or their attributes differ.</exception>
    public static async Task<SeedTargets> ReadAsync(string studyFolder, string targetsPath, CancellationToken cancellationToken = default)
    {
        var manifest = StudyManifest.Read(System.IO.Path.Combine(studyFolder, StudyManifest.FileName));
        if (!File.Exists(targetsPath))
        {
            throw new InvalidInputException(
                $"{targetsPath}: not found; run `facecluster study aggregate {studyFolder} --out DIR` and pass --targets DIR/{StudyAggregation.TargetsFile}.");
        }

        var table = await WideTableReader.ReadAsync(targetsPath, cancellationToken).ConfigureAwait(false);
        var columnOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < table.ColumnCount; j++)
        {
            columnOf[table.Attributes[j]] = j;
        }

        var missing = manifest.Attributes.Where(a => !columnOf.ContainsKey(a)).ToList();
        var extra = table.Attributes.Where(a => manifest.IndexOfCountry(a.Split(':')[0]) < 0 || !manifest.Attributes.Contains(a)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
        {
            var what = new List<string>();
            if (missing.Count > 0)
            {
                what.Add($"{missing.Count} attribute(s) of study.json missing (first \"{missing[0]}\")");
            }

            if (extra.Count > 0)
            {
                what.Add($"{extra.Count} column(s) not attributes of study.json (first \"{extra[0]}\")");
            }

            throw InvalidInputException.InFile(targetsPath, $"does not match {studyFolder}/{StudyManifest.FileName}: {string.Join("; ", what)}");
        }

        var map = manifest.Attributes.Select(a => columnOf[a]).ToArray();
        var rows = new Dictionary<string, float[]>(table.RowCount, StringComparer.Ordinal);
        for (var i = 0; i < table.RowCount; i++)
        {
            var row = new float[map.Length];
            for (var j = 0; j < map.Length; j++)
            {
                row[j] = (float)table[i, map[j]];
            }

            rows[table.SeedIds[i]] = row;
        }

        return new SeedTargets(manifest, rows, targetsPath);
    }
}

/// <summary>The mimics trained on, in crop order, with what each row of the staged file holds.</summary>
/// <param name="ImageIds">Each mimic's image id.</param>
/// <param name="SeedIds">Each mimic's seed.</param>
/// <param name="Skipped">Crop records of mimics not used, by reason.</param>
public sealed record StagedSamples(string[] ImageIds, string[] SeedIds, IReadOnlyDictionary<string, int> Skipped)
{
    /// <summary>The number of mimics.</summary>
    public int Count => ImageIds.Length;
}

/// <summary>
/// Stages the training mimics into a <see cref="RowFile"/> in the work folder, one row per mimic in crop order: the
/// frozen trunk's output (<c>1792 x 3 x 3</c> values) when caching, else the crop's pixels, through
/// <see cref="StagingPipeline"/> (reading, the trunk and writing overlap). Resumable: the sidecar <c>.json</c> records a
/// fingerprint of the inputs and how many rows are done (only rows already in the file, at least every
/// <c>saveEveryRows</c>); a rerun with the same fingerprint continues after them, any other rebuilds.
/// </summary>
internal static class SampleStaging
{
    public const string CacheFormat = "facecluster-row-cache/1";
    public const string FeaturesKind = "trunk-features";
    public const string PixelsKind = "pixels";

    private const int FaceBytes = InceptionResnetV1.InputSize * InceptionResnetV1.InputSize * 3;

    /// <summary>The file holding the rows of <paramref name="kind"/> and element.</summary>
    public static string DataPath(string workFolder, string kind, RowElement element) =>
        Path.Combine(workFolder, kind == FeaturesKind ? $"features.{Suffix(element)}" : "pixels.u8");

    /// <summary>
    /// Stages the mimics of <paramref name="crops"/> that have a crop and targets. With <paramref name="model"/> the rows
    /// are its trunk's output on <paramref name="device"/> with <paramref name="threads"/> libtorch threads (0: one per
    /// core), stored as <paramref name="element"/>; without, the pixels.
    /// </summary>
    public static async Task<(StagedSamples Samples, RowFile Rows)> StageAsync(
        CropSet crops,
        SeedTargets targets,
        string workFolder,
        FaceMeaningNet? model,
        Device device,
        RowElement element,
        string normalization,
        int trunkBatch,
        int threads,
        string trunkIdentity,
        Action<long, long>? progress,
        CancellationToken cancellationToken,
        int saveEveryRows = 4096)
    {
        Directory.CreateDirectory(workFolder);
        var kind = model is null ? PixelsKind : FeaturesKind;
        if (model is null)
        {
            element = RowElement.UInt8;
        }

        var rowValues = model is null ? FaceBytes : InceptionResnetV1.TrunkFeatures;
        var dataPath = DataPath(workFolder, kind, element);
        var infoPath = dataPath + ".json";
        var fingerprint = Fingerprint(crops, targets, kind, element, normalization, model is null ? "" : trunkIdentity);
        var info = ReadInfo(infoPath);
        var rowsDone = info is not null && info.Fingerprint == fingerprint && info.Format == CacheFormat ? info.RowsDone : 0;
        if (info is { Complete: true } && info.Fingerprint == fingerprint && File.Exists(dataPath))
        {
            var samples = info.Samples ?? throw new InvalidDataException($"{infoPath}: complete without samples");
            var done = RowFile.OpenRead(dataPath, rowValues, element);
            if (done.Rows == samples.ImageIds.Length)
            {
                return (samples, done);
            }

            done.Dispose();
            rowsDone = 0;
        }

        StagingPipeline.Outcome outcome;
        using (var rows = RowFile.OpenForAppend(dataPath, rowValues, element, rowsDone))
        {
            rowsDone = rows.Rows;
            await WriteInfoAsync(infoPath, new CacheInfo(CacheFormat, kind, element, rowValues, fingerprint, rowsDone, false, null), cancellationToken).ConfigureAwait(false);
            outcome = await StagingPipeline.RunAsync(
                crops,
                targets,
                rows,
                model,
                device,
                element,
                normalization,
                trunkBatch,
                threads,
                rowsDone,
                saveEveryRows,
                (written, token) => WriteInfoAsync(infoPath, new CacheInfo(CacheFormat, kind, element, rowValues, fingerprint, written, false, null), token),
                progress,
                cancellationToken).ConfigureAwait(false);
            progress?.Invoke(crops.Manifest.ImageCount, crops.Manifest.ImageCount);
            if (rows.Rows != outcome.ImageIds.Count)
            {
                throw new InvalidDataException($"{dataPath}: {rows.Rows} rows staged for {outcome.ImageIds.Count} mimics");
            }
        }

        var staged = new StagedSamples([.. outcome.ImageIds], [.. outcome.SeedIds], new Dictionary<string, int>(outcome.Skipped, StringComparer.Ordinal));
        await WriteInfoAsync(infoPath, new CacheInfo(CacheFormat, kind, element, rowValues, fingerprint, staged.Count, true, staged), cancellationToken).ConfigureAwait(false);
        return (staged, RowFile.OpenRead(dataPath, rowValues, element));
    }

    /// <summary>Normalised faces from HWC crop bytes: a <c>N x 3 x 160 x 160</c> float tensor on the CPU.</summary>
    public static Tensor Faces(IReadOnlyList<byte[]> crops, string normalization)
    {
        var buffer = new float[crops.Count * FaceBytes];
        for (var i = 0; i < crops.Count; i++)
        {
            FaceNormalization.Normalize(crops[i], buffer.AsSpan(i * FaceBytes, FaceBytes), normalization);
        }

        return tensor(buffer, [crops.Count, 3, InceptionResnetV1.InputSize, InceptionResnetV1.InputSize]);
    }

    /// <summary>Normalised faces from rows of pixels (HWC bytes, one face per row).</summary>
    public static Tensor Faces(ReadOnlySpan<byte> rows, int count, string normalization)
    {
        var buffer = new float[count * FaceBytes];
        for (var i = 0; i < count; i++)
        {
            FaceNormalization.Normalize(rows.Slice(i * FaceBytes, FaceBytes), buffer.AsSpan(i * FaceBytes, FaceBytes), normalization);
        }

        return tensor(buffer, [count, 3, InceptionResnetV1.InputSize, InceptionResnetV1.InputSize]);
    }

    /// <summary>Rows of trunk features as a float32 <c>N x 1792 x 3 x 3</c> tensor on <paramref name="device"/>.</summary>
    public static Tensor Features(byte[] rows, int count, RowElement element, Device device)
    {
        var dtype = element == RowElement.Float16 ? ScalarType.Float16 : ScalarType.Float32;
        using var raw = empty([count, InceptionResnetV1.TrunkChannels, InceptionResnetV1.TrunkGrid, InceptionResnetV1.TrunkGrid], dtype);
        raw.bytes = rows.AsSpan(0, count * InceptionResnetV1.TrunkFeatures * RowFile.ElementSize(element));
        return raw.to(ScalarType.Float32, device);
    }

    private static string Suffix(RowElement element) => element switch
    {
        RowElement.Float16 => "f16",
        RowElement.UInt8 => "u8",
        _ => "f32",
    };

    private static string Fingerprint(CropSet crops, SeedTargets targets, string kind, RowElement element, string normalization, string trunk)
    {
        var text = new StringBuilder();
        text.AppendLine(CacheFormat).AppendLine(kind).AppendLine(element.ToString()).AppendLine(normalization).AppendLine(trunk);
        text.AppendLine(Path.GetFullPath(crops.Folder)).AppendLine(File.ReadAllText(Path.Combine(crops.Folder, CropSetManifest.FileName)));
        foreach (var (start, end, path) in crops.Shards)
        {
            var file = new FileInfo(path);
            text.AppendLine(FormattableString.Invariant($"{start} {end} {file.Length} {file.LastWriteTimeUtc.Ticks}"));
        }

        var targetFile = new FileInfo(targets.Path);
        text.AppendLine(FormattableString.Invariant($"{targetFile.FullName} {targetFile.Length} {targetFile.LastWriteTimeUtc.Ticks}"));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static CacheInfo? ReadInfo(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<CacheInfo>(File.ReadAllText(path), AtomicFile.JsonOptions) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task WriteInfoAsync(string path, CacheInfo info, CancellationToken cancellationToken) =>
        AtomicFile.WriteJsonAsync(path, info, cancellationToken);

    /// <summary>The sidecar of a staged file.</summary>
    internal sealed record CacheInfo(
        string Format, string Kind, RowElement Element, int RowValues, string Fingerprint, long RowsDone, bool Complete, StagedSamples? Samples);
}
