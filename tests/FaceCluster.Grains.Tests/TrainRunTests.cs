using System.Text.Json;
using FaceCluster.Hosting;
using FaceCluster.Learning.Grains;
using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;
using FaceCluster.Torch.Checkpoints;

namespace FaceCluster.Grains.Tests;

/// <summary>
/// The <c>train</c> run kind: its range is placed on the gpu silo; when the silo that trains stops (gracefully, in
/// process) or is killed (SIGKILL, silo processes of the built command line over a real Redis), the range moves to
/// another silo, resumes from the last checkpoint and ends where an uninterrupted run does; <c>facecluster predict
/// --cluster</c> runs a <c>predict</c> run on the same cluster.
/// </summary>
[Collection(nameof(TorchThreadCountTests))]
public sealed class TrainRunTests(TinyStudy study) : IClassFixture<TinyStudy>
{
    private static readonly TimeSpan JobDeadline = TimeSpan.FromMinutes(4);

    /// <summary>
    /// 24 mimics, 19 trained on in 3 batches an epoch, a checkpoint after every batch; two torch threads wherever it runs
    /// (other counts sum in other orders).
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
    public async Task The_train_range_runs_on_the_gpu_silo_and_moves_from_it_when_that_silo_stops()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var root = study.NewFolder("in-process-cluster");
        await using var harness = await ClusterHarness.StartAsync(
            2, root, configureSilo: (silo, builder) => builder.AddFaceClusterRole(silo.SiloName.EndsWith("_1", StringComparison.Ordinal) ? SiloRoles.Gpu : SiloRoles.Cpu));
        var straight = await ModelTrainer.TrainAsync(
            new TrainingInputs(study.StudyFolder, study.TargetsPath, study.SmallCropsFolder, study.NewFolder("straight")), Options, null, cancellationToken);

        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("train-stop");
        await coordinator.Start(Request(root, "model"));
        var model = Path.Combine(root, "model");
        await Poll.UntilAsync(() => Task.FromResult(CheckpointStep(model)), step => step >= 2, "two training batches", JobDeadline);
        var gpu = harness.Cluster.Silos.Single(s => s.Name.EndsWith("_1", StringComparison.Ordinal));
        var range = (await coordinator.GetReport()).Stages.Single().Ranges.Single();
        Assert.Equal(gpu.SiloAddress.ToParsableString(), range.Silo);
        Assert.Equal("running", range.State);
        await harness.Cluster.StopSiloAsync(gpu);

        // The stopping silo cancelled the range, which wrote a checkpoint; the other silo takes the range (and the
        // coordinator, if it lived on the stopped silo) and finishes the model.
        var final = await Poll.UntilAsync(() => coordinator.GetStatus().AsTask(), s => s.State is RunState.Completed or RunState.Failed, "the run to end", JobDeadline);
        Assert.True(final.State == RunState.Completed, final.Error);
        var moved = (await coordinator.GetReport()).Stages.Single().Ranges.Single();
        Assert.True(moved.Attempts >= 2, $"{moved}");
        Assert.Equal(harness.Cluster.Silos.Single().SiloAddress.ToParsableString(), moved.Silo);
        AssertSameModel(straight, model);
    }

    [Fact(Timeout = 420_000)]
    public async Task A_train_range_whose_silo_is_killed_resumes_on_another_and_ends_as_an_uninterrupted_run()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await RedisProcessCluster.StartRedisAsync(cancellationToken);
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.ConnectAsync(2, cancellationToken);

        var straight = await ModelTrainer.TrainAsync(
            new TrainingInputs(study.StudyFolder, study.TargetsPath, study.SmallCropsFolder, study.NewFolder("straight")), Options, null, cancellationToken);

        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("train-kill");
        var request = Request(cluster.DataRoot, "model");
        await coordinator.Start(request);
        Assert.Equal(RunState.Running, (await coordinator.Start(request)).State);
        var model = Path.Combine(cluster.DataRoot, "model");

        // Two batches trained (so the first checkpoint is on disk), not all 18: kill the silo that trains.
        await ProcessPoll.UntilAsync(
            async () =>
            {
                var status = await coordinator.GetStatus();
                Assert.False(status.State is RunState.Completed or RunState.Failed, $"the run ended ({status.State}: {status.Error}) before its silo could be killed");
                return CheckpointStep(model) >= 2;
            },
            JobDeadline,
            "two training batches",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));
        var trainingOn = SiloAddress.FromParsableString((await coordinator.GetReport()).Stages.Single().Ranges.Single().Silo!);
        var victim = cluster.Silos.Single(s => s.SiloPort == trainingOn.Endpoint.Port);
        victim.Kill();

        // Calls fail or time out until the cluster declares the silo dead; then the range runs again on the other silo.
        var final = await cluster.WaitForRunAsync(coordinator, JobDeadline, "the run to finish after the kill");
        Assert.True(final.State == RunState.Completed, final.Error);
        var range = (await coordinator.GetReport()).Stages.Single().Ranges.Single();
        Assert.True(range.Attempts >= 2 && range.Reassignments >= 1, $"{range}");
        Assert.NotEqual(trainingOn.ToParsableString(), range.Silo);
        AssertSameModel(straight, model);

        // facecluster predict --cluster: the seeds' predictions, computed by a predict run of the cluster.
        var predictions = Path.Combine(study.NewFolder("predictions"), "predictions.parquet");
        var (exitCode, output) = await RedisProcessCluster.RunCliAsync(
            ["predict", "--model", model, "--crops", Path.Combine(cluster.DataRoot, "crops"), "--out", predictions, "--device", "cpu",
             "--cluster", $"redis://127.0.0.1:{cluster.RedisPort}/{cluster.ClusterId}"],
            cluster.DataRoot,
            cancellationToken);
        Assert.True(exitCode == 0, output);
        Assert.Contains("predictions for 8 image(s)", output, StringComparison.Ordinal);
        Assert.Equal(8, (await WideTableReader.ReadAsync(predictions, cancellationToken)).RowCount);
    }

    /// <summary>A train run into <paramref name="model"/> under <paramref name="dataRoot"/>, the study's folders linked in.</summary>
    private RunRequest Request(string dataRoot, string model)
    {
        Link(dataRoot, "study", study.StudyFolder);
        Link(dataRoot, "crops", study.SmallCropsFolder);
        return RunParameters.Request(TrainRunKind.KindName, model, new TrainParameters
        {
            Study = "study",
            Targets = "study/" + Studies.StudyAggregation.TargetsFile,
            Crops = "crops",
            Options = Options,
        });
    }

    private static void Link(string dataRoot, string name, string target)
    {
        var link = Path.Combine(dataRoot, name);
        if (!Directory.Exists(link))
        {
            Directory.CreateSymbolicLink(link, target);
        }
    }

    /// <summary>The step of the model folder's last checkpoint, or 0.</summary>
    private static long CheckpointStep(string model)
    {
        var latest = Path.Combine(model, ModelTrainer.CheckpointFolderName, "latest.json");
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(latest));
            return json.RootElement.GetProperty("step").GetInt64();
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The model in <paramref name="model"/> is the uninterrupted run's and says it was resumed. Within float error rather
    /// than bit for bit: the two ran in other processes (or on another silo) while the machine was busy with the
    /// cluster. A resume that lost Adam's state or the step would miss by far more; the exact resume is checked in one
    /// process by the DNN tests.
    /// </summary>
    private static void AssertSameModel(TrainingResult straight, string model)
    {
        var training = ModelManifest.Read(model).Training!;
        var expected = straight.Manifest.Training!;
        Assert.True(training.ResumedFromStep >= 1, $"resumed from step {training.ResumedFromStep}");
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
}

/// <summary>
/// Tests that compare training runs across processes and silos, run alone: other classes' work would slow them past their
/// deadlines. (libtorch's thread count is set on each computing thread, <c>TorchRuntime.UseThreads</c>, so other classes'
/// settings no longer change a reference run's sums.)
/// </summary>
[CollectionDefinition(nameof(TorchThreadCountTests), DisableParallelization = true)]
public sealed class TorchThreadCountTests;
