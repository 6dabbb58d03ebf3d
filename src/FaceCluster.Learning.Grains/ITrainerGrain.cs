namespace FaceCluster.Learning.Grains;

/// <summary>
/// Trains the DNN or runs it on crops, one job at a time per grain (key: <see cref="TrainerKeys"/>). Every call returns at
/// once: start, then poll <see cref="GetStatus"/>. Placed on a gpu silo when the cluster has one (<c>PreferGpuSilo</c>),
/// anywhere otherwise. Messages carry file paths that every silo can read at the same path; tensors never leave the silo.
/// The job and its outcome are persisted: when the silo running a job stops or dies, the next call runs it again on
/// another silo, training from the model folder's last checkpoint.
/// </summary>
[Alias("FaceCluster.ITrainerGrain")]
public interface ITrainerGrain : IGrainWithStringKey
{
    /// <summary>Starts training (idempotent while the same job runs; a finished job may be replaced); returns the status.</summary>
    [Alias("StartTraining")]
    ValueTask<LearningJobStatus> StartTraining(TrainingJob job);

    /// <summary>Starts predicting (idempotent while the same job runs); returns the status.</summary>
    [Alias("StartPrediction")]
    ValueTask<LearningJobStatus> StartPrediction(PredictionJob job);

    /// <summary>Where the job stands.</summary>
    [Alias("GetStatus")]
    ValueTask<LearningJobStatus> GetStatus();

    /// <summary>Asks the job to stop (training writes a checkpoint first); returns the status.</summary>
    [Alias("Cancel")]
    ValueTask<LearningJobStatus> Cancel();
}

/// <summary>A training job: the inputs' and the model folder's paths, and the options as JSON (<c>TrainingOptions</c>).</summary>
/// <param name="StudyFolder">The study folder.</param>
/// <param name="TargetsPath">targets.parquet.</param>
/// <param name="CropsFolder">The crop folder.</param>
/// <param name="ModelFolder">The model folder to write.</param>
/// <param name="OptionsJson">The training options, serialised with the project's JSON options (snake_case).</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.TrainingJob")]
public sealed record TrainingJob(
    [property: Id(0)] string StudyFolder,
    [property: Id(1)] string TargetsPath,
    [property: Id(2)] string CropsFolder,
    [property: Id(3)] string ModelFolder,
    [property: Id(4)] string OptionsJson);

/// <summary>A prediction job.</summary>
/// <param name="ModelFolder">The model folder.</param>
/// <param name="CropsFolder">The crop folder.</param>
/// <param name="OutputPath">The table to write.</param>
/// <param name="OptionsJson">The prediction options as JSON (<c>PredictionOptions</c>).</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.PredictionJob")]
public sealed record PredictionJob(
    [property: Id(0)] string ModelFolder,
    [property: Id(1)] string CropsFolder,
    [property: Id(2)] string OutputPath,
    [property: Id(3)] string OptionsJson);

/// <summary>Where a learning job stands.</summary>
/// <param name="State"><c>idle</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</param>
/// <param name="Kind"><c>train</c> or <c>predict</c> (empty when idle).</param>
/// <param name="Phase">The phase (<c>staging</c>, <c>training</c>, <c>held-out</c>, <c>predicting</c>, <c>done</c>).</param>
/// <param name="Done">Units done in the phase.</param>
/// <param name="Total">Units of the phase.</param>
/// <param name="Epoch">The epoch (training).</param>
/// <param name="Step">Batches trained.</param>
/// <param name="Loss">The last training loss.</param>
/// <param name="Warnings">Warnings so far.</param>
/// <param name="Error">Why it failed, one line.</param>
/// <param name="BadInput">Whether the failure is bad input (a file, a setting) rather than a fault.</param>
/// <param name="Silo">The silo it runs on and its role.</param>
/// <param name="Device">The torch device (<c>cpu</c>, <c>cuda:0</c>) once known.</param>
/// <param name="Summary">On completion: model.json's training summary or the prediction's row count, as JSON.</param>
/// <param name="Attempt">How many times the job was started: 1, plus one for every restart after its silo was lost.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.LearningJobStatus")]
public sealed record LearningJobStatus(
    [property: Id(0)] string State,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Phase,
    [property: Id(3)] long Done,
    [property: Id(4)] long Total,
    [property: Id(5)] int Epoch,
    [property: Id(6)] long Step,
    [property: Id(7)] double? Loss,
    [property: Id(8)] IReadOnlyList<string> Warnings,
    [property: Id(9)] string? Error,
    [property: Id(10)] bool BadInput,
    [property: Id(11)] string Silo,
    [property: Id(12)] string Device,
    [property: Id(13)] string? Summary,
    [property: Id(14)] int Attempt = 0)
{
    /// <summary>Whether the job has ended (completed, failed or cancelled).</summary>
    public bool IsFinished => State is "completed" or "failed" or "cancelled";
}

/// <summary>The persisted state of a trainer grain: its job (one of the two) and the status last written.</summary>
[GenerateSerializer]
[Alias("FaceCluster.TrainerState")]
public sealed class TrainerState
{
    /// <summary>The training job, when the grain's job is one.</summary>
    [Id(0)]
    public TrainingJob? Training { get; set; }

    /// <summary>The prediction job, when the grain's job is one.</summary>
    [Id(1)]
    public PredictionJob? Prediction { get; set; }

    /// <summary>The status when the job started or ended; <c>running</c> here with no live activation means its silo was lost.</summary>
    [Id(2)]
    public LearningJobStatus? Status { get; set; }
}

/// <summary>
/// The grain keys of learning jobs: one grain per model folder for training and per output table for predictions, so
/// that submitting the same command again, from any client, finds the job that is running rather than starting another.
/// </summary>
public static class TrainerKeys
{
    /// <summary>The key of the training job that writes <paramref name="modelFolder"/> (a full path).</summary>
    public static string Training(string modelFolder) => "train:" + Path.GetFullPath(modelFolder);

    /// <summary>The key of the prediction job that writes <paramref name="outputPath"/> (a full path).</summary>
    public static string Prediction(string outputPath) => "predict:" + Path.GetFullPath(outputPath);

    /// <summary>The key of the job of <paramref name="kind"/> (<c>train</c> or <c>predict</c>) writing <paramref name="output"/>; null for another kind.</summary>
    public static string? Of(string kind, string output) => kind switch
    {
        "train" => Training(output),
        "predict" => Prediction(output),
        _ => null,
    };

    /// <summary>The full path a job's key names (what the job writes).</summary>
    public static string OutputOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..];
    }
}
