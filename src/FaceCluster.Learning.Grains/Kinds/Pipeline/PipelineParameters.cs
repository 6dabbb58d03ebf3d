using FaceCluster.Analysis;
using FaceCluster.Grains;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// The parameters of a <c>pipeline</c> run: a study folder and the settings of each stage. The paths between stages are
/// the pipeline's own (<c>derived/</c>, <c>crops/</c>, <c>model/</c>, <c>predictions/</c>, <c>ppca/</c>, <c>gppca/</c>
/// under its output folder), so the stages' path fields are left empty here and filled in by the pipeline.
/// </summary>
public sealed record PipelineParameters : IRunParameters
{
    /// <summary>The study folder, relative to the data root.</summary>
    public string Study { get; init; } = string.Empty;

    /// <summary>What the outputs record as the study (the path the user named); null: <see cref="Study"/>.</summary>
    public string? StudyName { get; init; }

    /// <summary>Leave out seeds that lack self_report events in some country instead of refusing the study.</summary>
    public bool DropIncomplete { get; init; }

    /// <summary>Decode every pixel of every image while validating.</summary>
    public bool Decode { get; init; }

    /// <summary>How to crop (the study is the pipeline's).</summary>
    public CropParameters Crop { get; init; } = new();

    /// <summary>How to train (the paper's defaults; a seeded random trunk unless <see cref="TrainingOptions.BackboneWeights"/> is set).</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>How to predict the seeds (the kind is always <c>seed</c>).</summary>
    public PredictionOptions Prediction { get; init; } = new();

    /// <summary>The PPCA of the predictions against the judgments (X and Y are the pipeline's).</summary>
    public PpcaParameters Ppca { get; init; } = new();

    /// <summary>Threads of the G-PPCA stage (0: all cores).</summary>
    public int GppcaThreads { get; init; }

    /// <summary>Seeds per ranking of the morph stage (by score and by differential score; the paper: 5).</summary>
    public int MorphCount { get; init; } = 5;

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.StudyFolder(errors, dataRoot, "study", Study);
        if (Crop is null || Training is null || Prediction is null || Ppca is null)
        {
            errors.Add("crop, training, prediction and ppca must be objects when given");
            return errors;
        }

        errors.AddRange(Crop.Validate().Select(e => "crop: " + e));
        errors.AddRange(Training.Validate().Select(e => "training: " + e));
        errors.AddRange(Prediction.Validate().Select(e => "prediction: " + e));
        errors.AddRange(Ppca.ToOptions().Validate().Select(e => "ppca: " + e));
        if (Ppca.RangeSize is < 0 or > PpcaParameters.MaxRangeSize)
        {
            errors.Add($"ppca: range_size must be 0 (automatic) to {PpcaParameters.MaxRangeSize}, got {Ppca.RangeSize}");
        }

        if (Ppca.Loo is not (null or "fast" or "naive"))
        {
            errors.Add($"ppca: loo must be 'fast' or 'naive', got '{Ppca.Loo}'");
        }

        if (Training.BackboneWeights is { Length: > 0 } weights && !Path.IsPathRooted(weights))
        {
            KindChecks.InputFile(errors, dataRoot, "training.backbone_weights", weights);
        }

        if (MorphCount is < 1 or > MorphParameters.MaxCount)
        {
            errors.Add($"morph_count must be 1 to {MorphParameters.MaxCount}, got {MorphCount}");
        }

        if (GppcaThreads is < 0 or > PpcaOptions.MaxThreads)
        {
            errors.Add($"gppca_threads must be 0 (all cores) to {PpcaOptions.MaxThreads}, got {GppcaThreads}");
        }

        return errors;
    }
}
