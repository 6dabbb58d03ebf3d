using FaceCluster.Grains;
using FaceCluster.Learning.Training;

namespace FaceCluster.Learning.Grains;

/// <summary>The parameters of a <c>train</c> run: the inputs, relative to the data root, and the training options.</summary>
public sealed record TrainParameters : IRunParameters
{
    /// <summary>The study folder (its images table says which seed each mimic imitates).</summary>
    public string Study { get; init; } = string.Empty;

    /// <summary>The targets table (<c>targets.parquet</c> of an aggregation).</summary>
    public string Targets { get; init; } = string.Empty;

    /// <summary>The crop folder of the study.</summary>
    public string Crops { get; init; } = string.Empty;

    /// <summary>How to train (the paper's defaults). A relative <see cref="TrainingOptions.BackboneWeights"/> is under the data root.</summary>
    public TrainingOptions Options { get; init; } = new();

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.InputFolder(errors, dataRoot, "study", Study);
        KindChecks.InputFile(errors, dataRoot, "targets", Targets);
        KindChecks.InputFolder(errors, dataRoot, "crops", Crops);
        if (Options is null)
        {
            errors.Add("options: required");
            return errors;
        }

        errors.AddRange(Options.Validate().Select(e => "options: " + e));
        if (Options.BackboneWeights is { Length: > 0 } weights && !Path.IsPathRooted(weights))
        {
            KindChecks.InputFile(errors, dataRoot, "options.backbone_weights", weights);
        }

        return errors;
    }
}
