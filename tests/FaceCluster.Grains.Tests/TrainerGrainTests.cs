using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FaceCluster.Hosting;
using FaceCluster.Learning.Grains;
using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;
using FaceCluster.Torch.Checkpoints;

namespace FaceCluster.Grains.Tests;

/// <summary>
/// The trainer grain: placed on the gpu silo; a job whose silo stops (gracefully, in process) or is killed (SIGKILL, silo
/// processes of the built command line over a real Redis) mid-training is taken up by another silo from the last
/// checkpoint and ends where an uninterrupted run does; <c>facecluster predict --cluster</c> runs on the cluster.
/// </summary>
[Collection(nameof(TorchThreadCountTests))]
public sealed class TrainerGrainTests(TinyStudy study) : IClassFixture<TinyStudy>
{
    private static readonly TimeSpan JobDeadline = TimeSpan.FromMinutes(4);

    /// <summary>
    /// 24 mimics, 19 trained on in 3 batches an epoch, a checkpoint after every batch; two torch threads wherever it runs
    /// (the test process's count is whatever the last crop test set, and other counts sum in other orders).
    /// </summary>
    private static TrainingOptions Options => new()
    {
        Threads = 2,
        Epochs = 6,
        BatchSize = 8,
        LearningRate = 1e-3,
        Dropout = 0.2,
        LearningRateStepBatches = 4,
        LearningRateGamma = 0.5,
        HeldOutFraction = 0.2,
        Device = "cpu",
        TrunkBatchSize = 32,
        CheckpointEveryBatches = 1,
        CheckpointEveryEpochs = 0,
    };

    [Fact(Timeout = 300_000)]
    public async Task A_training_job_runs_on_the_gpu_silo_and_moves_from_its_silo_when_that_stops()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var root = study.NewFolder("in-process-cluster");
        await using var harness = await ClusterHarness.StartAsync(
            2, root, configureSilo: (silo, builder) => builder.AddFaceClusterRole(silo.SiloName.EndsWith("_1", StringComparison.Ordinal) ? SiloRoles.Gpu : SiloRoles.Cpu).AddFaceClusterLearning());
        var straight = await ModelTrainer.TrainAsync(
            new TrainingInputs(study.StudyFolder, study.TargetsPath, study.SmallCropsFolder, study.NewFolder("straight")), Options, null, cancellationToken);

        var model = Path.Combine(study.NewFolder("cluster"), "model");
        var trainer = harness.Client.GetGrain<ITrainerGrain>(TrainerKeys.Training(model));
        var started = await trainer.StartTraining(Job(model));
        var gpu = harness.Cluster.Silos.Single(s => s.Name.EndsWith("_1", StringComparison.Ordinal));
        Assert.Equal(gpu.SiloAddress.ToString(), started.Silo);

        await Poll.UntilAsync(() => trainer.GetStatus().AsTask(), s => s.IsFinished || (s.Phase == "training" && s.Step >= 2), "two training batches");
        Assert.False((await trainer.GetStatus()).IsFinished, "the job ended before its silo could be stopped");
        await harness.Cluster.StopSiloAsync(gpu);

        // The stopping silo cancelled the job, which wrote a checkpoint. Nobody calls the trainer now: the surviving
        // silo's watchdog wakes it through the learning job registry, and it finishes the model on disk.
        await Poll.UntilAsync(
            () => Task.FromResult(File.Exists(Path.Combine(model, ModelManifest.FileName)) && ModelManifest.Read(model).Training is not null),
            done => done,
            "the model to be finished on the other silo without polling",
            JobDeadline);
        var final = await Poll.UntilAsync(() => trainer.GetStatus().AsTask(), s => s.IsFinished, "the job's final status", JobDeadline);
        Assert.True(final.State == "completed", $"{final.State}: {final.Error}");
        Assert.Equal(2, final.Attempt);
        Assert.Equal(harness.Cluster.Silos.Single().SiloAddress.ToString(), final.Silo);
        AssertSameModel(straight, model, resumed: true);
        Assert.Equal([TrainerKeys.Training(model)], await harness.Client.GetGrain<ILearningJobRegistryGrain>(0).List());
        Assert.Equal(0, await harness.Client.GetGrain<ILearningJobRegistryGrain>(0).WakeUnfinished());
    }

    [Fact(Timeout = 420_000)]
    public async Task A_training_job_whose_silo_is_killed_resumes_on_another_and_ends_as_an_uninterrupted_run()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await RedisProcessCluster.StartRedisAsync(cancellationToken);
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.ConnectAsync(2, cancellationToken);

        var straight = await ModelTrainer.TrainAsync(
            new TrainingInputs(study.StudyFolder, study.TargetsPath, study.SmallCropsFolder, study.NewFolder("straight")), Options, null, cancellationToken);

        var model = Path.Combine(study.NewFolder("cluster"), "model");
        var job = Job(model);
        var trainer = cluster.Client.GetGrain<ITrainerGrain>(TrainerKeys.Training(model));
        var started = await trainer.StartTraining(job);
        Assert.Equal(("running", 1), (started.State, started.Attempt));
        Assert.Equal(started, await trainer.StartTraining(job));

        // Two batches trained (so the first checkpoint is on disk), not all 18: kill the silo that trains.
        await ProcessPoll.UntilAsync(
            async () =>
            {
                var status = await trainer.GetStatus();
                Assert.False(status.IsFinished, $"the job ended ({status.State}: {status.Error}) before its silo could be killed");
                return status.Phase == "training" && status.Step >= 2;
            },
            JobDeadline,
            "two training batches",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));
        var victim = await cluster.HostOfAsync(trainer);
        var victimAddress = (await trainer.GetStatus()).Silo;
        victim.Kill();

        // Calls fail or time out until the cluster declares the silo dead; the next call runs the job on the other silo.
        LearningJobStatus? final = null;
        await ProcessPoll.UntilAsync(
            async () =>
            {
                try
                {
                    final = await trainer.GetStatus();
                }
                catch (Exception e) when (e is OrleansException or TimeoutException or OperationCanceledException)
                {
                    return false;
                }

                return final.IsFinished;
            },
            JobDeadline,
            "the job to finish after the kill",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));
        Assert.True(final!.State == "completed", $"{final.State}: {final.Error}");
        Assert.Equal(2, final.Attempt);
        Assert.NotEqual(victimAddress, final.Silo);
        Assert.Contains(final.Warnings, w => w.StartsWith("attempt 2: the silo that ran this job", StringComparison.Ordinal));
        Assert.NotSame(victim, await cluster.HostOfAsync(trainer));

        AssertSameModel(straight, model, resumed: true);

        // The outcome is persisted: a new activation (after the grain is deactivated) reports it, and runs nothing.
        await cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var reread = await trainer.GetStatus();
        Assert.Equal(("completed", 2), (reread.State, reread.Attempt));

        // facecluster predict --cluster: the seeds' predictions, computed on a silo of the cluster.
        var predictions = Path.Combine(study.NewFolder("predictions"), "predictions.parquet");
        var (exitCode, output) = await RunCliAsync(
            ["predict", "--model", model, "--crops", study.SmallCropsFolder, "--out", predictions, "--device", "cpu", "--cluster", $"redis://127.0.0.1:{cluster.RedisPort}/{cluster.ClusterId}"],
            cancellationToken);
        Assert.True(exitCode == 0, output);
        Assert.Contains("predictions for 8 image(s)", output, StringComparison.Ordinal);
        var table = await WideTableReader.ReadAsync(predictions, cancellationToken);
        Assert.Equal(8, table.RowCount);
        Assert.Equal("completed", (await cluster.Client.GetGrain<ITrainerGrain>(TrainerKeys.Prediction(predictions)).GetStatus()).State);
    }

    private TrainingJob Job(string model) =>
        new(study.StudyFolder, study.TargetsPath, study.SmallCropsFolder, model, JsonSerializer.Serialize(Options, AtomicFile.JsonOptions));

    /// <summary>
    /// The model in <paramref name="model"/> is the uninterrupted run's and says it was resumed. Within float error rather
    /// than bit for bit: the two ran in other processes (or on another silo) while the machine was busy with the
    /// cluster, and one CI run saw the first epoch's held-out MSE differ in the fifth digit. A resume that lost Adam's
    /// state or the step would miss by far more; the exact resume is checked in one process by the DNN tests.
    /// </summary>
    private static void AssertSameModel(TrainingResult straight, string model, bool resumed)
    {
        var training = ModelManifest.Read(model).Training!;
        var expected = straight.Manifest.Training!;
        Assert.Equal(resumed, training.ResumedFromStep >= 1);
        Assert.Equal(expected.Steps, training.Steps);
        Assert.Equal(expected.HeldOutMse.Count, training.HeldOutMse.Count);
        foreach (var (want, got) in expected.HeldOutMse.Zip(training.HeldOutMse))
        {
            Assert.True(Math.Abs(want - got) <= 1e-4 * want, $"held-out MSE {got} vs {want} uninterrupted");
        }

        using var a = PyTorchCheckpoint.Read(Path.Combine(straight.ModelFolder, ModelManifest.WeightsFileName));
        using var b = PyTorchCheckpoint.Read(Path.Combine(model, ModelManifest.WeightsFileName));
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in a)
        {
            if (!tensor.is_floating_point())
            {
                Assert.True(tensor.equal(b[key]).all().item<bool>(), $"{key} differs from the uninterrupted run's");
                continue;
            }

            var difference = (tensor - b[key]).abs().max().item<float>();
            var scale = Math.Max(1f, tensor.abs().max().item<float>());
            Assert.True(difference <= 1e-4f * scale, $"{key} differs from the uninterrupted run's by {difference} (scale {scale})");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(RedisProcessCluster.CliPath());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = await stdout + "\n" + await stderr;
        return (process.ExitCode, string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}\n{text}"));
    }
}

/// <summary>
/// Tests that compare training runs across processes and silos: not run beside other test classes, whose crop stages set
/// torch's process-wide thread count while a reference run trains.
/// </summary>
[CollectionDefinition(nameof(TorchThreadCountTests), DisableParallelization = true)]
public sealed class TorchThreadCountTests;
