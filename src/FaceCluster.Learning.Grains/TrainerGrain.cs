using System.Text.Json;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;
using Microsoft.Extensions.Logging;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// Runs one learning job in the background of its silo (a long-running task outside the grain scheduler) and reports
/// on it; see <see cref="ITrainerGrain"/>. The job and its start and end are persisted (progress is not): an activation
/// that finds its job <c>running</c> in storage knows the activation that ran it is gone with its silo, and runs it
/// again, training with <c>Resume</c> so that only the work since the last checkpoint is repeated. A silo that stops
/// gracefully cancels its job, which writes a checkpoint, and leaves it <c>running</c> for the next activation.
/// </summary>
[PreferGpuSilo]
public sealed class TrainerGrain(
    [PersistentState("trainer", FaceClusterStorage.Name)] IPersistentState<TrainerState> state,
    ILocalSiloDetails silo,
    ILogger<TrainerGrain> logger) : Grain, ITrainerGrain, IDisposable
{
    /// <summary>How long a stopping silo waits for its job to write a checkpoint and end.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private LearningJobStatus _status = Idle(silo);
    private CancellationTokenSource? _cancellation;
    private Task? _running;
    private bool _stopping;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Status is not { } stored)
        {
            return;
        }

        if (stored.State != "running")
        {
            _status = stored;
            return;
        }

        // Persisted as running, yet this is a new activation: the silo that ran it stopped or died. Run it again here.
        var attempt = stored.Attempt + 1;
        var note = $"attempt {attempt}: the silo that ran this job ({stored.Silo}) was lost; started again on {silo.SiloAddress}" +
            (state.State.Training is not null ? ", from the model folder's last checkpoint" : "");
        logger.LogWarning("Learning job {Job}: {Note}", this.GetPrimaryKeyString(), note);
        var restarted = stored with { Phase = "starting", Silo = silo.SiloAddress.ToString(), Device = "", Attempt = attempt, Warnings = [.. stored.Warnings, note] };
        if (state.State.Training is { } training)
        {
            await LaunchAsync(restarted, TrainingWork(ResumeOf(training))).ConfigureAwait(true);
        }
        else if (state.State.Prediction is { } prediction)
        {
            await LaunchAsync(restarted, PredictionWork(prediction)).ConfigureAwait(true);
        }
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Task? running;
        lock (_gate)
        {
            running = _status.State == "running" ? _running : null;
            if (running is not null)
            {
                // Leave the job persisted as running: the next activation, on whichever silo, takes it up.
                _stopping = true;
                _cancellation?.Cancel();
            }
        }

        if (running is not null)
        {
            logger.LogWarning("Learning job {Job} stopped with its silo ({Reason}); the next call runs it again", this.GetPrimaryKeyString(), reason.Description);
            try
            {
                await running.WaitAsync(StopWait, cancellationToken).ConfigureAwait(true);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // The next activation resumes from whatever checkpoint was written.
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<LearningJobStatus> StartTraining(TrainingJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return StartAsync(new TrainerState { Training = job }, "train", TrainingWork(job));
    }

    /// <inheritdoc />
    public ValueTask<LearningJobStatus> StartPrediction(PredictionJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return StartAsync(new TrainerState { Prediction = job }, "predict", PredictionWork(job));
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

    /// <inheritdoc />
    public void Dispose() => _cancellation?.Dispose();

    private async ValueTask<LearningJobStatus> StartAsync(TrainerState job, string kind, Func<LearningObserver, CancellationToken, Task<string>> work)
    {
        lock (_gate)
        {
            if (_status.State == "running")
            {
                var same = Equals(state.State.Training, job.Training) && Equals(state.State.Prediction, job.Prediction);
                return same
                    ? _status
                    : throw new InvalidOperationException($"trainer {this.GetPrimaryKeyString()} is already running another {_status.Kind} job");
            }
        }

        state.State = job;
        await LaunchAsync(Idle(silo) with { State = "running", Kind = kind, Phase = "starting", Attempt = 1 }, work).ConfigureAwait(true);
        await GrainFactory.GetGrain<ILearningJobRegistryGrain>(0).Register(this.GetPrimaryKeyString()).ConfigureAwait(true);
        return await GetStatus().ConfigureAwait(true);
    }

    /// <summary>Persists <paramref name="running"/>, starts <paramref name="work"/> off the scheduler, and records its end.</summary>
    private async Task LaunchAsync(LearningJobStatus running, Func<LearningObserver, CancellationToken, Task<string>> work)
    {
        state.State.Status = running;
        await state.WriteStateAsync().ConfigureAwait(true);
        lock (_gate)
        {
            _status = running;
            _stopping = false;
            _cancellation?.Dispose();
            _cancellation = new CancellationTokenSource();
        }

        // Stay active while the job runs, however long between polls.
        DelayDeactivation(TimeSpan.FromDays(7));
        var job = LearningJobs.RunInBackground(work, new Observer(this), e => logger.LogError(e, "Learning job {Job} failed", this.GetPrimaryKeyString()), _cancellation.Token);
        _running = RecordEndAsync(job);
    }

    /// <summary>Applies and persists the job's outcome (on the activation's scheduler), unless its silo is stopping.</summary>
    private async Task RecordEndAsync(Task<Func<LearningJobStatus, LearningJobStatus>> job)
    {
        var outcome = await job.ConfigureAwait(true);
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _status = outcome(_status);
        }

        state.State.Status = _status;
        try
        {
            await state.WriteStateAsync().ConfigureAwait(true);
            await GrainFactory.GetGrain<ILearningJobRegistryGrain>(0).MarkFinished(this.GetPrimaryKeyString()).ConfigureAwait(true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The outcome is in memory and in the job's files; a lost write means a later activation runs the job again
            // (and the registry wakes it until one is written).
            logger.LogError(e, "Learning job {Job}: could not persist its outcome", this.GetPrimaryKeyString());
        }
    }

    private void Update(Func<LearningJobStatus, LearningJobStatus> change)
    {
        lock (_gate)
        {
            _status = change(_status);
        }
    }

    private static TrainingJob ResumeOf(TrainingJob job) =>
        job with { OptionsJson = JsonSerializer.Serialize(LearningJobs.Deserialize<TrainingOptions>(job.OptionsJson) with { Resume = true }, AtomicFile.JsonOptions) };

    private static Func<LearningObserver, CancellationToken, Task<string>> TrainingWork(TrainingJob job) =>
        (observer, token) => LearningJobs.TrainAsync(job, observer, token);

    private static Func<LearningObserver, CancellationToken, Task<string>> PredictionWork(PredictionJob job) =>
        (observer, token) => LearningJobs.PredictAsync(job, observer, token);

    private static LearningJobStatus Idle(ILocalSiloDetails silo) =>
        new("idle", "", "", 0, 0, 0, 0, null, [], null, false, silo.SiloAddress.ToString(), "", null);

    /// <summary>Copies a run's progress into the grain's status (called on the run's thread).</summary>
    private sealed class Observer(TrainerGrain grain) : LearningObserver
    {
        public override void Progress(TrainingProgress progress) => grain.Update(s => s with
        {
            Phase = progress.Phase,
            Done = progress.Done,
            Total = progress.Total,
            Epoch = progress.Epoch,
            Step = progress.Step,
            Loss = progress.Loss ?? s.Loss,
        });

        public override void Warning(string message) => grain.Update(s => s with { Warnings = [.. s.Warnings, message] });

        public override void Device(string device) => grain.Update(s => s with { Device = device });
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
    /// <summary>Runs <paramref name="run"/> on a long-running task; its result is how the job ended, as a change to its status.</summary>
    public static Task<Func<LearningJobStatus, LearningJobStatus>> RunInBackground(
        Func<LearningObserver, CancellationToken, Task<string>> run,
        LearningObserver observer,
        Action<Exception> log,
        CancellationToken token) =>
        Task.Factory.StartNew(
            async () =>
            {
                try
                {
                    var summary = await run(observer, token).ConfigureAwait(false);
                    return (Func<LearningJobStatus, LearningJobStatus>)(s => s with { State = "completed", Phase = "done", Summary = summary });
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return s => s with { State = "cancelled" };
                }
                catch (Exception e) when (e is InvalidInputException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
                {
                    return s => s with { State = "failed", Error = InvalidInputException.OneLine(e.Message), BadInput = true };
                }
                catch (Exception e)
                {
                    log(e);
                    return s => s with { State = "failed", Error = $"{e.GetType().Name}: {InvalidInputException.OneLine(e.Message)}" };
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();

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

    public static T Deserialize<T>(string json)
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
