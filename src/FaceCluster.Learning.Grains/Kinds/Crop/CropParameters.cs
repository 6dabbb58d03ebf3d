using System.Text.Json.Serialization;
using FaceCluster.Grains;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// The parameters of a <c>crop</c> run: the study and how to crop (MTCNN as facenet-pytorch). Units of the run are rows
/// of the study's images table; a range is one shard of <see cref="ShardSize"/> images.
/// </summary>
public sealed record CropParameters : IRunParameters
{
    /// <summary>The study folder, relative to the data root.</summary>
    public string Study { get; init; } = string.Empty;

    /// <summary>What <c>crops.json</c> records as the study folder (the path the user named); null: the resolved folder.</summary>
    public string? StudyName { get; init; }

    /// <summary>Images per shard (and per work range).</summary>
    public int ShardSize { get; init; } = 256;

    /// <summary>Side of the square crop in pixels.</summary>
    public int ImageSize { get; init; } = 160;

    /// <summary>Margin around the box in pixels of the crop (facenet-pytorch's <c>margin</c>).</summary>
    public int Margin { get; init; }

    /// <summary>Smallest face MTCNN looks for, in pixels.</summary>
    public int MinFaceSize { get; init; } = 20;

    /// <summary>Face-probability threshold of the first stage.</summary>
    public double PNetThreshold { get; init; } = 0.6;

    /// <summary>Threshold of the second stage.</summary>
    public double RNetThreshold { get; init; } = 0.7;

    /// <summary>Threshold of the third stage.</summary>
    public double ONetThreshold { get; init; } = 0.7;

    /// <summary>Pyramid scale factor.</summary>
    public double ScaleFactor { get; init; } = 0.709;

    /// <summary><c>probable</c> (default) or <c>largest</c>: which face is kept when several are found.</summary>
    public string Selection { get; init; } = "probable";

    /// <summary><c>prewhiten</c> (the paper) or <c>fixed</c>: recorded for the models that read the crops.</summary>
    public string Normalization { get; init; } = "prewhiten";

    /// <summary>Crop at the images table's face box when MTCNN finds no face.</summary>
    public bool FallbackToTableBox { get; init; }

    /// <summary>
    /// Record face-api.js's 68 landmarks (iBUG 300-W order) of the kept face, found in its MTCNN box in the original
    /// image, as the shard columns <c>landmark68_x1</c> .. <c>landmark68_y68</c> (image pixels). Off by default; left out
    /// of the serialised parameters when off, so that runs and pipeline fingerprints without it are unchanged.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Landmarks { get; init; }

    /// <summary>Images with more pixels are recorded as too large, not decoded.</summary>
    public double MaxMegapixels { get; init; } = 50;

    /// <summary>Images detected together.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary><c>auto</c>, <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = Validate().ToList();
        KindChecks.StudyFolder(errors, dataRoot, "study", Study);
        return errors;
    }

    /// <summary>Every problem with the crop settings (not the study), each a sentence naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(ShardSize is >= 1 and <= 100_000, $"the shard size must be 1 to 100000 images, got {ShardSize}");
        Check(ImageSize is >= 16 and <= 1024, $"image_size (the crop size) must be 16 to 1024 pixels, got {ImageSize}");
        Check(Margin >= 0 && Margin < ImageSize, $"the margin must be 0 or more and less than the crop size, got {Margin}");
        Check(MinFaceSize is >= 12 and <= 10_000, $"min_face_size must be 12 (PNet's window) to 10000 pixels, got {MinFaceSize}");
        foreach (var (name, value) in new[] { ("PNet", PNetThreshold), ("RNet", RNetThreshold), ("ONet", ONetThreshold) })
        {
            Check(value is > 0 and < 1, $"the {name} threshold must be between 0 and 1, got {value}");
        }

        Check(ScaleFactor is > 0.1 and < 1, $"the scale factor must be between 0.1 and 1, got {ScaleFactor}");
        Check(Selection is "probable" or "largest", $"the selection must be 'probable' or 'largest', got '{Selection}'");
        Check(Normalization is "prewhiten" or "fixed", $"the normalization must be 'prewhiten' or 'fixed', got '{Normalization}'");
        Check(MaxMegapixels is > 0 and <= 1000, $"max_megapixels (the largest image) must be more than 0 and at most 1000, got {MaxMegapixels}");
        Check(BatchSize is >= 1 and <= 1024, $"the batch size must be 1 to 1024 images, got {BatchSize}");
        Check(Device is "auto" or "cpu" || Device.StartsWith("cuda", StringComparison.Ordinal), $"the device must be auto, cpu or cuda[:N], got '{Device}'");
        return errors;
    }
}
