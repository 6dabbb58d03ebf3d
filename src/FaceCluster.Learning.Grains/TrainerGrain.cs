using System.Text.Json;
using FaceCluster.Hosting;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;
using Microsoft.Extensions.Logging;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// Runs one learning job in the background of its silo (a long-running task outside the grain scheduler) and reports
/// on it; see <see cref="ITrainerGrain"/>. State is in memory: if the silo dies, the job is lost, and starting it again
/// with <c>Resume</c> continues from the model folder's last checkpoint.
/// </summary>
[PreferGpuSilo]
public sealed class TrainerGrain(ILocalSiloDetails silo, ILogger<TrainerGrain> logger) : Grain, ITrainerGrain, IDisposable
{
    private readonly Lock _gate = new();
    private LearningJobStatus _status = Idle(silo);
    private object? _job;
    private CancellationTokenSource? _cancellation;

    /// <inheritdoc />
    public ValueTask<LearningJobStatus> StartTraining(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Start("train", job, (observer, token) => LearningJobs.TrainAsync(job, observer, token));
    }

    /// <inheritdoc />
    public ValueTask<LearningJobStatus> StartPrediction(PredictionJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Start("predict", job, (observer, token) => LearningJobs.PredictAsync(job, observer, token));
    }

    /// <inheritdoc />
    public ValueTask<LearningJobStatus> GetStatus()
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_status);
        }
    }

    /// <inheritdoc />
    public ValueTask<LearningJobStatus> Cancel()
    {
        lock (_gate)
        {
            _cancellation?.Cancel();
            return ValueTask.FromResult(_status);
        }
    }

    private ValueTask<LearningJobStatus> Start(string kind, object job, Func<LearningObserver, CancellationToken, Task<string>> run)
    {
        lock (_gate)
        {
            if (_status.State == "running")
            {
                if (!Equals(_job, job))
                {
                    throw new InvalidOperationException($"trainer {this.GetPrimaryKeyString()} is already running another {_status.Kind} job");
                }

                return ValueTask.FromResult(_status);
            }

            _job = job;
            _cancellation?.Dispose();
            _cancellation = new CancellationTokenSource();
            _status = Idle(silo) with { State = "running", Kind = kind, Phase = "starting" };
        }

        // Stay active while the job runs, however long between polls.
        DelayDeactivation(TimeSpan.FromDays(7));
        var observer = new Observer(this);
        LearningJobs.RunInBackground(run, observer, Finish, e => logger.LogError(e, "Learning job {Job} failed", this.GetPrimaryKeyString()), _cancellation.Token);
        return GetStatus();
    }

    private void Finish(Func<LearningJobStatus, LearningJobStatus> change)
    {
        lock (_gate)
        {
            _status = change(_status);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _cancellation?.Dispose();

    private static LearningJobStatus Idle(ILocalSiloDetails silo) =>
        new("idle", "", "", 0, 0, 0, 0, null, [], null, false, silo.SiloAddress.ToString(), "", null);

    /// <summary>Copies a run's progress into the grain's status (called on the run's thread).</summary>
    private sealed class Observer(TrainerGrain grain) : LearningObserver
    {
        public override void Progress(TrainingProgress progress) => grain.Finish(s => s with
        {
            Phase = progress.Phase,
            Done = progress.Done,
            Total = progress.Total,
            Epoch = progress.Epoch,
            Step = progress.Step,
            Loss = progress.Loss ?? s.Loss,
        });

        public override void Warning(string message) => grain.Finish(s => s with { Warnings = [.. s.Warnings, message] });

        public override void Device(string device) => grain.Finish(s => s with { Device = device });
    }
}

/// <summary>What a job reports to its grain.</summary>
internal abstract class LearningObserver : ITrainingObserver
{
    /// <inheritdoc />
    public abstract void Progress(TrainingProgress progress);

    /// <inheritdoc />
    public abstract void Warning(string message);

    /// <summary>The torch device the job runs on.</summary>
    public abstract void Device(string device);
}

/// <summary>The work of <see cref="TrainerGrain"/>, off the grain scheduler.</summary>
internal static class LearningJobs
{
    /// <summary>Runs <paramref name="run"/> on a long-running task and records how it ended through <paramref name="finish"/>.</summary>
    public static void RunInBackground(
        Func<LearningObserver, CancellationToken, Task<string>> run,
        LearningObserver observer,
        Action<Func<LearningJobStatus, LearningJobStatus>> finish,
        Action<Exception> log,
        CancellationToken token)
    {
        _ = Task.Factory.StartNew(
            async () =>
            {
                try
                {
                    var summary = await run(observer, token).ConfigureAwait(false);
                    finish(s => s with { State = "completed", Phase = "done", Summary = summary });
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    finish(s => s with { State = "cancelled" });
                }
                catch (Exception e) when (e is InvalidInputException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
                {
                    finish(s => s with { State = "failed", Error = InvalidInputException.OneLine(e.Message), BadInput = true });
                }
                catch (Exception e)
                {
                    log(e);
                    finish(s => s with { State = "failed", Error = $"{e.GetType().Name}: {InvalidInputException.OneLine(e.Message)}" });
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
    }

    public static async Task<string> TrainAsync(TrainingJob job, LearningObserver observer, CancellationToken token)
    {
        var options = Deserialize<TrainingOptions>(job.OptionsJson);
        observer.Device(ModelTrainer.SelectDevice(options.Device).ToString());
        var result = await ModelTrainer.TrainAsync(
            new TrainingInputs(job.StudyFolder, job.TargetsPath, job.CropsFolder, job.ModelFolder), options, observer, token).ConfigureAwait(false);
        return JsonSerializer.Serialize(result.Manifest.Training, AtomicFile.JsonOptions);
    }

    public static async Task<string> PredictAsync(PredictionJob job, LearningObserver observer, CancellationToken token)
    {
        var options = Deserialize<PredictionOptions>(job.OptionsJson);
        observer.Device(ModelTrainer.SelectDevice(options.Device).ToString());
        var result = await ModelPredictor.PredictAsync(job.ModelFolder, job.CropsFolder, job.OutputPath, options, observer, token).ConfigureAwait(false);
        return JsonSerializer.Serialize(result, AtomicFile.JsonOptions);
    }

    private static T Deserialize<T>(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, AtomicFile.JsonOptions) ?? throw new InvalidInputException($"{typeof(T).Name}: empty options");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{typeof(T).Name}: invalid options JSON: {InvalidInputException.OneLine(e.Message)}");
        }
    }
}
