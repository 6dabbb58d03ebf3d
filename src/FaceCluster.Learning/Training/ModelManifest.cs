using System.Text.Json;
using FaceCluster.Tables;

namespace FaceCluster.Learning.Training;

/// <summary>
/// <c>model.json</c>, what a model folder holds: the study's attributes (the outputs, in order), how faces are
/// normalised, where the trunk's weights came from, how it was trained and how well it did on the held-out mimics.
/// The weights are <c>model.pt</c> beside it, a PyTorch zip-format state dict of
/// <c>InceptionResnetV1(classify=True, num_classes=Outputs)</c>.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>The manifest's file name in a model folder.</summary>
    public const string FileName = "model.json";

    /// <summary>The weights' file name in a model folder.</summary>
    public const string WeightsFileName = "model.pt";

    /// <summary>The loss curve's file name in a model folder.</summary>
    public const string LossFileName = "loss.parquet";

    /// <summary>The held-out split's file name in a model folder.</summary>
    public const string SplitFileName = "split.parquet";

    /// <summary>The format written by this version.</summary>
    public const string CurrentFormat = "facecluster-model/1";

    /// <summary>Always <see cref="CurrentFormat"/>.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary>The architecture: facenet-pytorch's InceptionResnetV1 with the paper's head.</summary>
    public string Architecture { get; init; } = "InceptionResnetV1(classify=True, num_classes=outputs), trunk frozen before block8";

    /// <summary>The study's name.</summary>
    public required string Study { get; init; }

    /// <summary>The countries, in manifest order.</summary>
    public required IReadOnlyList<string> Countries { get; init; }

    /// <summary>The concepts, in manifest order.</summary>
    public required IReadOnlyList<string> Concepts { get; init; }

    /// <summary>The outputs' names, <c>{country}:{concept}</c>, country-major (the columns of predictions.parquet).</summary>
    public required IReadOnlyList<string> Attributes { get; init; }

    /// <summary>Face normalisation: <c>prewhiten</c> or <c>fixed</c> (the crop folder's).</summary>
    public required string Normalization { get; init; }

    /// <summary>The input side in pixels.</summary>
    public int ImageSize { get; init; } = 160;

    /// <summary>Dropout before <c>last_linear</c>.</summary>
    public double Dropout { get; init; } = 0.6;

    /// <summary>The backbone checkpoint the trunk was loaded from, or null for a seeded random trunk.</summary>
    public string? BackboneWeights { get; init; }

    /// <summary>The seed of the run (and of the random trunk without backbone weights).</summary>
    public ulong Seed { get; init; }

    /// <summary>The training settings.</summary>
    public TrainingOptions? Options { get; init; }

    /// <summary>How training went; null until it has finished.</summary>
    public TrainingSummary? Training { get; init; }

    /// <summary>Reads the manifest of the model folder <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidInputException">Missing, not JSON, or of another format.</exception>
    public static ModelManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"{path}: not found: {folder} is not a model folder (train one with `facecluster train`).");
        }

        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), AtomicFile.JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: invalid JSON: {InvalidInputException.OneLine(e.Message)}");
        }

        if (manifest is null || manifest.Format != CurrentFormat)
        {
            throw new InvalidInputException($"{path}: format \"{manifest?.Format}\" is not {CurrentFormat}.");
        }

        if (manifest.Attributes.Count != manifest.Countries.Count * manifest.Concepts.Count)
        {
            throw new InvalidInputException($"{path}: {manifest.Attributes.Count} attributes, expected countries x concepts = {manifest.Countries.Count * manifest.Concepts.Count}.");
        }

        return manifest;
    }

    /// <summary>Writes the manifest into <paramref name="folder"/> atomically.</summary>
    public Task WriteAsync(string folder, CancellationToken cancellationToken = default) =>
        AtomicFile.WriteJsonAsync(Path.Combine(folder, FileName), this, cancellationToken);
}

/// <summary>How a training run went.</summary>
/// <param name="Complete">Whether every epoch ran.</param>
/// <param name="EpochsDone">Epochs finished.</param>
/// <param name="Steps">Optimizer steps (batches) taken.</param>
/// <param name="TrainFaces">Mimics trained on.</param>
/// <param name="HeldOutFaces">Mimics held out.</param>
/// <param name="SkippedImages">Crop records not used, by reason.</param>
/// <param name="HeldOutMse">MSE on the held-out mimics after each epoch (null without held-out mimics).</param>
/// <param name="BaselineMse">MSE on the held-out mimics of the mean predictor (the mean training target).</param>
/// <param name="FinalTrainLoss">The mean training loss of the last epoch.</param>
/// <param name="Device">Where it ran (<c>cpu</c>, <c>cuda:0</c>).</param>
/// <param name="UsedCache">Whether the head trained on cached trunk features.</param>
/// <param name="Seconds">Wall-clock seconds of this run (not counting earlier runs it resumed).</param>
/// <param name="ResumedFromStep">The checkpoint step the run resumed from (0 when it started fresh).</param>
public sealed record TrainingSummary(
    bool Complete,
    int EpochsDone,
    long Steps,
    int TrainFaces,
    int HeldOutFaces,
    IReadOnlyDictionary<string, int> SkippedImages,
    IReadOnlyList<double> HeldOutMse,
    double? BaselineMse,
    double FinalTrainLoss,
    string Device,
    bool UsedCache,
    double Seconds,
    long ResumedFromStep);
