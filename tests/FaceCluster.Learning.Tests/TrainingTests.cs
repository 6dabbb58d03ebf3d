using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;

namespace FaceCluster.Learning.Tests;

public sealed class TrainingTests(TinyStudy study, ITestOutputHelper output)
{
    /// <summary>
    /// Settings that learn the tiny study in seconds on two cores once the trunk features are cached: more, smaller
    /// batches at a higher rate than the paper's, no learning-rate decay, dropout 0.2 rather than 0.6 (the paper's
    /// settings assume 452,783 faces).
    /// </summary>
    internal static TrainingOptions Tiny => new()
    {
        Epochs = 24,
        BatchSize = 12,
        LearningRate = 3e-3,
        Dropout = 0.2,
        LearningRateStepBatches = 1000,
        HeldOutFraction = 0.25,
        Device = "cpu",
        TrunkBatchSize = 32,
        CheckpointEveryBatches = 0,
        CheckpointEveryEpochs = 0,
    };

    private Task<TrainingResult> TrainAsync(string folder, TrainingOptions options) =>
        ModelTrainer.TrainAsync(new TrainingInputs(study.StudyFolder, study.TargetsPath, study.CropsFolder, folder), options, new Log(output), TestContext.Current.CancellationToken);

    private sealed class Log(ITestOutputHelper output) : ITrainingObserver
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
        private string _phase = "";

        public void Progress(TrainingProgress progress)
        {
            if (progress.Phase != _phase || progress.Phase == "held-out")
            {
                _phase = progress.Phase;
                output.WriteLine($"{_watch.Elapsed.TotalSeconds,6:F1} s {progress}");
            }
        }

        public void Warning(string message) => output.WriteLine($"warning: {message}");
    }

    [Fact]
    public async Task Training_brings_the_held_out_mse_well_below_the_mean_predictors()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await TrainAsync(study.NewFolder("model"), Tiny);
        var summary = result.Manifest.Training!;
        output.WriteLine($"{watch.Elapsed.TotalSeconds:F1} s; baseline {summary.BaselineMse:F4}; held-out {string.Join(", ", summary.HeldOutMse.Select(m => m.ToString("F4")))}; train {summary.FinalTrainLoss:F4}");
        Assert.Equal(24, summary.HeldOutFaces);
        Assert.True(summary.HeldOutMse[^1] < 0.5 * summary.BaselineMse!.Value, $"held-out {summary.HeldOutMse[^1]:F4} vs mean predictor {summary.BaselineMse:F4}");
    }
}
