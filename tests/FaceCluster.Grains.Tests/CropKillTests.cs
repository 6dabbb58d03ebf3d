using FaceCluster.Learning.Grains;
using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;

namespace FaceCluster.Grains.Tests;

/// <summary>
/// A crop run on two silo processes of the built command line over a real Redis loses the silo that crops to SIGKILL:
/// the other silo finishes it, no shard written before the kill is written again, and the shards are those of an
/// undisturbed run.
/// </summary>
public sealed class CropKillTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 420_000)]
    public async Task A_crop_run_whose_silo_is_killed_is_finished_by_the_other_without_redoing_written_shards()
    {
        await using var cluster = await RedisProcessCluster.StartRedisAsync(Ct);
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 6, MimicsPerSeed = 9, Seed = 21, Threads = 2 }),
            Path.Combine(cluster.DataRoot, "study"),
            overwrite: false,
            cancellationToken: Ct);
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.ConnectAsync(2, Ct);
        var settings = new CropParameters { Study = "study", ShardSize = 4, BatchSize = 4 };

        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("crop-kill");
        await coordinator.Start(RunParameters.Request(CropRunKind.KindName, "crops", settings));
        var shards = CropSet.ShardFolder(Path.Combine(cluster.DataRoot, "crops"));
        string? victimSilo = null;
        await ProcessPoll.UntilAsync(
            async () =>
            {
                var report = await coordinator.GetReport();
                Assert.False(report.Status.State is RunState.Completed or RunState.Failed, $"the run ended ({report.Status.State}: {report.Status.Error}) before a silo could be killed");
                var crop = report.Stages.FirstOrDefault(s => s.Name == CropStages.Crop);
                victimSilo = crop?.Ranges.FirstOrDefault(r => r.State == "running")?.Silo;
                return victimSilo is not null && Directory.Exists(shards) && Directory.EnumerateFiles(shards, "crops-*.parquet").Any();
            },
            Deadline,
            "a written crop shard and a running range",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));
        var port = SiloAddress.FromParsableString(victimSilo!).Endpoint.Port;
        cluster.Silos.Single(s => s.SiloPort == port).Kill();
        var before = Directory.EnumerateFiles(shards, "crops-*.parquet").ToDictionary(p => p, File.GetLastWriteTimeUtc);

        var final = await cluster.WaitForRunAsync(coordinator, Deadline, "the crop run to finish after the kill");
        Assert.True(final.State == RunState.Completed, final.Error);
        var stage = (await coordinator.GetReport()).Stages.Single(s => s.Name == CropStages.Crop);
        Assert.True(stage.Ranges.Sum(r => r.Reassignments) >= 1, "no range was reassigned from the killed silo");
        Assert.All(stage.Ranges, r => Assert.Equal(1, r.Completions));
        foreach (var (path, written) in before)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }

        // The same crops, undisturbed, on the surviving silo.
        var again = cluster.Client.GetGrain<IRunCoordinatorGrain>("crop-again");
        await again.Start(RunParameters.Request(CropRunKind.KindName, "crops-again", settings));
        var undisturbed = await Poll.UntilAsync(() => again.GetStatus().AsTask(), s => s.State is RunState.Completed or RunState.Failed, "the undisturbed crop run", Deadline);
        Assert.True(undisturbed.State == RunState.Completed, undisturbed.Error);
        var expected = CropSet.Open(Path.Combine(cluster.DataRoot, "crops-again")).Shards;
        var actual = CropSet.Open(Path.Combine(cluster.DataRoot, "crops")).Shards;
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal(await File.ReadAllBytesAsync(e.Path, Ct), await File.ReadAllBytesAsync(a.Path, Ct));
        }
    }
}
