using System.Text.Json;
using System.Text.Json.Serialization;
using FaceCluster.Tables;

namespace FaceCluster.Studies.Crops;

/// <summary>
/// <c>crops.json</c>, the manifest of a crop folder: which study was cropped, how, and in which ranges. Written
/// before the first shard; a rerun with other settings into the same folder is refused rather than mixed.
/// </summary>
/// <param name="Format">Always <see cref="CurrentFormat"/>.</param>
/// <param name="Study">The study's name (study.json).</param>
/// <param name="StudyFolder">The study folder's full path when cropped.</param>
/// <param name="ImageCount">Rows of the images table.</param>
/// <param name="ShardSize">Images per shard.</param>
/// <param name="ImageSize">Side of a crop in pixels (160).</param>
/// <param name="Margin">Margin around the box, in pixels of the crop (facenet-pytorch's <c>margin</c>).</param>
/// <param name="Normalization"><c>prewhiten</c> or <c>fixed</c>: what a model applies to the crop bytes.</param>
/// <param name="Selection"><c>probable</c> or <c>largest</c>: which face is kept when several are found.</param>
/// <param name="MinFaceSize">MTCNN's minimum face size in pixels.</param>
/// <param name="Thresholds">MTCNN's three stage thresholds.</param>
/// <param name="ScaleFactor">MTCNN's pyramid scale factor.</param>
/// <param name="FallbackToTableBox">Whether an image without a detected face is cropped at the images table's box.</param>
/// <param name="Landmarks68">
/// Whether the shards record the kept face's 68 landmarks (<c>landmark68_*</c> columns); left out of the file when
/// false, so manifests written without the option are unchanged.
/// </param>
public sealed record CropSetManifest(
    string Format,
    string Study,
    string StudyFolder,
    int ImageCount,
    int ShardSize,
    int ImageSize,
    int Margin,
    string Normalization,
    string Selection,
    int MinFaceSize,
    IReadOnlyList<double> Thresholds,
    double ScaleFactor,
    bool FallbackToTableBox,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Landmarks68 = false)
{
    /// <summary>The manifest's file name in a crop folder.</summary>
    public const string FileName = "crops.json";

    /// <summary>The format written by this version.</summary>
    public const string CurrentFormat = "facecluster-crops/1";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads a crop folder's manifest.</summary>
    /// <exception cref="InvalidInputException">Missing, unreadable or of another format.</exception>
    public static CropSetManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"{path}: not found: {folder} is not a crop folder (run `facecluster crop` first).");
        }

        CropSetManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CropSetManifest>(File.ReadAllText(path), Options);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: invalid JSON: {e.Message}");
        }

        if (manifest is null || manifest.Format != CurrentFormat)
        {
            throw new InvalidInputException($"{path}: format \"{manifest?.Format}\" is not {CurrentFormat}.");
        }

        return manifest;
    }

    /// <summary>Writes the manifest into <paramref name="folder"/> (temporary file, then rename).</summary>
    public Task WriteAsync(string folder, CancellationToken cancellationToken = default) =>
        AtomicFile.WriteTextAsync(
            Path.Combine(folder, FileName),
            (writer, _) => writer.WriteAsync(JsonSerializer.Serialize(this, Options)),
            cancellationToken);

    /// <summary>Whether <paramref name="other"/> crops the same way (everything but the study folder's path).</summary>
    public bool SameSettings(CropSetManifest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return this with { StudyFolder = "", Thresholds = [] } == other with { StudyFolder = "", Thresholds = [] }
            && Thresholds.SequenceEqual(other.Thresholds);
    }
}
