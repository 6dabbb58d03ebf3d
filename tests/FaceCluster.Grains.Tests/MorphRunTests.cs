using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Learning.Grains;
using FaceCluster.Outputs;
using FaceCluster.Studies;
using FaceCluster.Synthetic;

namespace FaceCluster.Grains.Tests;

/// <summary>
/// Morph runs on real silos: a rendered synthetic study (6 seeds x 4 mimics in two countries) cropped by the real crop
/// kind, and a PPCA written by the real analysis whose first six seeds are the study's.
/// </summary>
public sealed class MorphRunTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-morph-tests-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var options = new SyntheticStudyOptions { Seeds = 6, MimicsPerSeed = 4, Countries = ["CN", "US"], Seed = 7, Threads = 2 };
        await SyntheticStudyGenerator.GenerateAsync(SyntheticStudy.Create(options), Path.Combine(_root, "study"), overwrite: false, cancellationToken: Ct);
        var images = await StudyImageTable.ReadAsync(Path.Combine(_root, "study", "images.parquet"), Ct);
        var seeds = images.Images.Where(i => i.IsSeed).Select(i => i.ImageId!).ToArray();

        // The PPCA: 80 planted stimuli, the first ones renamed to the study's seeds.
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 80, Countries = ["CN", "US"], Concepts = 6, Dimensions = 2, Seed = 5 });
        var ids = data.SeedIds.Select((id, i) => i < seeds.Length ? seeds[i] : id).ToArray();
        var ppca = new PpcaOptions { Bootstrap = 60, Replicates = 4, Seed = 5, Threads = 1 };
        var result = PpcaAnalysis.Run(data.X, data.Y, data.Attributes, ppca, null, Ct);
        await PpcaOutputs.WriteAsync(Directory.CreateDirectory(Path.Combine(_root, "ppca")).FullName, result, ids, ppca, new JsonObject(), Ct);

        await using var harness = await ClusterHarness.StartAsync(1, _root);
        await harness.Client.GetGrain<IRunCoordinatorGrain>("crop").Start(
            RunParameters.Request(CropRunKind.KindName, "crops", new CropParameters { Study = "study", ShardSize = 8, BatchSize = 4 }));
        var status = await Poll.FinishedAsync(harness.Client, "crop", TimeSpan.FromMinutes(4));
        Assert.True(status.State == RunState.Completed, status.Error);
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task One_and_three_silos_write_the_same_morphs()
    {
        // Every seed selected (count 80 >= 80 stimuli), so each country's face averages all of its mimics of the study.
        var parameters = new MorphParameters { Study = "study", Crops = "crops", Ppca = "ppca", Count = 80, Threads = 2 };
        var outputs = new List<string>();
        foreach (short silos in new short[] { 1, 3 })
        {
            await using var harness = await ClusterHarness.StartAsync(silos, _root);
            var id = $"morph-{silos}";
            var output = $"morphs-{silos}";
            await harness.Client.GetGrain<IRunCoordinatorGrain>(id).Start(RunParameters.Request(MorphRunKind.KindName, output, parameters));
            var status = await Poll.FinishedAsync(harness.Client, id, TimeSpan.FromMinutes(4));
            Assert.True(status.State == RunState.Completed, status.Error);
            var report = await harness.Client.GetGrain<IRunCoordinatorGrain>(id).GetReport();
            Assert.Equal([MorphStages.Morph, MorphStages.Grid], report.Stages.Select(s => s.Name));
            outputs.Add(Path.Combine(_root, output));
        }

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outputs[0], "summary.json"), Ct))!;
        var dimensions = summary["dimensions"]!.AsArray().Count;
        Assert.True(dimensions > 0, "the planted PPCA has significant dimensions");
        Assert.Equal(["CN", "US"], summary["countries"]!.AsArray().Select(c => c!.GetValue<string>()));

        // 6 seeds x 2 mimics per country: 12 mimics in each cell, each a face or counted as without landmarks.
        foreach (var cell in summary["morphs"]!.AsArray())
        {
            Assert.Equal(12, cell!["mimics"]!.GetValue<int>());
            Assert.Equal(12, cell["faces"]!.GetValue<int>() + cell["without_landmarks"]!.GetValue<int>() + cell["without_crop"]!.GetValue<int>());
        }

        Assert.True(summary["faces"]!.GetValue<int>() > 0);
        Assert.True(File.Exists(Path.Combine(outputs[0], MorphRunKind.GridFile)));
        var files = Directory.GetFiles(outputs[0], "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, Directory.GetFiles(outputs[1], "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains(MorphRunKind.FaceFileName(summary["dimensions"]![0]!.GetValue<string>(), "CN"), files);
        foreach (var file in files)
        {
            Assert.True(
                File.ReadAllBytes(Path.Combine(outputs[0], file!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outputs[1], file!))),
                $"{file} differs between 1 and 3 silos");
        }

        var other = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outputs[1], "summary.json"), Ct))!;
        Assert.Equal(summary["morphs"]!.ToJsonString(), other["morphs"]!.ToJsonString());
    }

    [Fact(Timeout = 300_000)]
    public async Task Facecluster_morph_with_cluster_runs_on_a_running_cluster_whose_data_root_holds_the_run()
    {
        await using var cluster = await RedisProcessCluster.StartRedisAsync(Ct);
        cluster.StartSilo();
        await cluster.ConnectAsync(1, Ct);
        var run = Path.Combine(cluster.DataRoot, "runs-of-study", "run");
        CopyFolder(Path.Combine(_root, "crops"), Path.Combine(run, "crops"));
        CopyFolder(Path.Combine(_root, "ppca"), Path.Combine(run, "ppca"));
        CopyFolder(Path.Combine(_root, "study"), Path.Combine(cluster.DataRoot, "study"));
        await new PipelineRecord { RunId = "pipeline-copied", Study = Path.Combine(cluster.DataRoot, "study") }.WriteAsync(Path.Combine(run, PipelineRecord.FileName), Ct);
        var address = $"redis://127.0.0.1:{cluster.RedisPort}/{cluster.ClusterId}";

        var (exitCode, output) = await RedisProcessCluster.RunCliAsync(["morph", run, "--count", "80", "--cluster", address], cluster.DataRoot, Ct);
        Assert.True(exitCode == 0, output);
        var grid = Path.Combine(run, "morphs", MorphRunKind.GridFile);
        Assert.Contains($"Morphs: {grid}", output, StringComparison.Ordinal);
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(run, "morphs", "summary.json"), Ct))!;
        Assert.Equal("runs-of-study/run/crops", summary["crops"]!.GetValue<string>());
        Assert.True(summary["faces"]!.GetValue<int>() > 0);

        // A run outside the shared data root is refused in one line naming it; nothing is written there.
        var outside = Path.Combine(_root, "outside-run");
        CopyFolder(Path.Combine(_root, "ppca"), Path.Combine(outside, "ppca"));
        CopyFolder(Path.Combine(_root, "crops"), Path.Combine(outside, "crops"));
        await new PipelineRecord { RunId = "pipeline-outside", Study = Path.Combine(cluster.DataRoot, "study") }.WriteAsync(Path.Combine(outside, PipelineRecord.FileName), Ct);
        var refused = await RedisProcessCluster.RunCliAsync(["morph", outside, "--cluster", address], cluster.DataRoot, Ct);
        Assert.True(refused.ExitCode == 2, refused.Output);
        Assert.Contains($"{outside}: must lie under the cluster's data root", refused.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(outside, "morphs")));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
