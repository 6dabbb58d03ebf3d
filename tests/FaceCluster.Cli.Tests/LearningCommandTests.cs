using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

/// <summary>train (on a trainer grain of the embedded cluster), predict, model describe and bad input, on the tiny study.</summary>
public sealed class LearningCommandTests(TinyStudy study) : IClassFixture<TinyStudy>
{
    [Fact]
    public async Task Train_then_predict_then_describe()
    {
        var model = study.NewFolder("model");
        var train = await CliRun.Of(
            "train", study.StudyFolder, "--crops", study.SmallCropsFolder, "--out", model, "--overwrite",
            "--epochs", "1", "--batch-size", "8", "--held-out", "0.2", "--device", "cpu", "--trunk-batch", "32");
        Assert.True(train.ExitCode == 0, train.Error);
        Assert.Contains("warning: no backbone weights", train.Error, StringComparison.Ordinal);
        Assert.Contains("held-out MSE", train.Output, StringComparison.Ordinal);
        var manifest = ModelManifest.Read(model);
        Assert.Equal(19, manifest.Training!.TrainFaces);
        Assert.True(File.Exists(Path.Combine(model, ModelManifest.WeightsFileName)));
        Assert.True(File.Exists(Path.Combine(model, ModelManifest.LossFileName)));

        var predictions = Path.Combine(model, "predictions.parquet");
        var predict = await CliRun.Of("predict", "--model", model, "--crops", study.CropsFolder, "--out", predictions, "--device", "cpu", "--in-process");
        Assert.True(predict.ExitCode == 0, predict.Error);
        var table = await WideTableReader.ReadAsync(predictions, TestContext.Current.CancellationToken);
        Assert.Equal(8, table.RowCount);
        Assert.Equal(manifest.Attributes, table.Attributes);

        var describe = await CliRun.Of("model", "describe", "--model", model);
        Assert.True(describe.ExitCode == 0, describe.Error);
        Assert.Contains("block8", describe.Output, StringComparison.Ordinal);
        Assert.Contains("no (trained)", describe.Output, StringComparison.Ordinal);
        Assert.Contains("conv2d_1a.conv.weight [32, 3, 3, 3]", describe.Output, StringComparison.Ordinal);
        Assert.Contains("logits.weight [12, 512]", describe.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_describe_without_a_model_shows_the_papers()
    {
        var run = await CliRun.Of("model", "describe");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("parameters: 23,630,368 (2,667,040 trained, 20,963,328 frozen); state dict: 716 tensors; outputs: 288", run.Output, StringComparison.Ordinal);
        Assert.Contains("logits.weight [288, 512]", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_one_error_line_and_exit_code_2()
    {
        var missingTargets = await CliRun.Of("train", study.StudyFolder, "--crops", study.SmallCropsFolder, "--out", study.NewFolder("bad"), "--targets", "/nonexistent/targets.parquet", "--in-process");
        Assert.Equal(2, missingTargets.ExitCode);
        Assert.Equal("error: /nonexistent/targets.parquet: not found; run `facecluster study aggregate " + study.StudyFolder + " --out DIR` and pass --targets DIR/targets.parquet.", Assert.Single(missingTargets.ErrorLines));

        var refusedOut = Path.Combine(study.NewFolder("bad"), "model");
        var options = await CliRun.Of("train", study.StudyFolder, "--crops", study.SmallCropsFolder, "--out", refusedOut, "--batch-size", "1", "--epochs", "0");
        Assert.Equal(2, options.ExitCode);
        var line = Assert.Single(options.ErrorLines);
        Assert.Contains("epochs must be 1 to 1000 (got 0)", line, StringComparison.Ordinal);
        Assert.Contains("batch size must be 2 to 65536", line, StringComparison.Ordinal);

        // Nothing written: no model.json to block the next run into the same folder.
        Assert.False(Directory.Exists(refusedOut));

        var noModel = await CliRun.Of("predict", "--model", study.NewFolder("empty"), "--crops", study.CropsFolder, "--out", Path.Combine(study.NewFolder("p"), "p.parquet"));
        Assert.Equal(2, noModel.ExitCode);
        Assert.Contains("model.json: not found", Assert.Single(noModel.ErrorLines), StringComparison.Ordinal);
    }
}
