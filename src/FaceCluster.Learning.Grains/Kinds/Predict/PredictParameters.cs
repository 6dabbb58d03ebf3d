using FaceCluster.Grains;
using FaceCluster.Learning.Prediction;

namespace FaceCluster.Learning.Grains;

/// <summary>The parameters of a <c>predict</c> run: a model folder and a crop folder, relative to the data root, and how to predict.</summary>
public sealed record PredictParameters : IRunParameters
{
    /// <summary>The model folder.</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>The crop folder.</summary>
    public string Crops { get; init; } = string.Empty;

    /// <summary>Which crops and how (seeds by default: <c>predictions.parquet</c> in the wide layout, the X of the PPCA).</summary>
    public PredictionOptions Options { get; init; } = new();

    /// <summary>Crop shards per range; 0 chooses (about 64 ranges in all, fixed by the crop folder alone).</summary>
    public int ShardsPerRange { get; init; }

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.InputFolder(errors, dataRoot, "model", Model);
        KindChecks.InputFolder(errors, dataRoot, "crops", Crops);
        if (Options is null)
        {
            errors.Add("options: required");
            return errors;
        }

        errors.AddRange(Options.Validate().Select(e => "options: " + e));
        if (ShardsPerRange is < 0 or > 1_000_000)
        {
            errors.Add($"shards_per_range must be 0 (automatic) to 1000000, got {ShardsPerRange}");
        }

        return errors;
    }
}
