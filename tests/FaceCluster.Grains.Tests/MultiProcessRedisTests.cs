using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Hosting;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Grains.Tests;

/// <summary>
/// Silo processes of the built command line on a real Redis (membership and grain state): a run survives a silo killed
/// with SIGKILL while replicate ranges are in flight, whether it ran ranges only or the run's coordinator too.
/// </summary>
public sealed class MultiProcessRedisTests
{
    private const int Replicates = 24;
    private static readonly TimeSpan RunDeadline = TimeSpan.FromMinutes(4);

    [Theory(Timeout = 420_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_completes_with_the_same_tables_after_a_silo_process_is_killed(bool killCoordinatorSilo)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await RedisProcessCluster.StartRedisAsync(cancellationToken);
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.ConnectAsync(2, cancellationToken);

        // 150 stimuli x 24 attributes (2 countries x 12 concepts) under the shared data root, and the one-process outputs.
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 150, Countries = ["CN", "US"], Concepts = 12, Dimensions = 3, Seed = 11 });
        Directory.CreateDirectory(Path.Combine(cluster.DataRoot, "inputs"));
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), Path.Combine(cluster.DataRoot, TestInputs.XPath), cancellationToken);
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), Path.Combine(cluster.DataRoot, TestInputs.YPath), cancellationToken);
        var request = TestInputs.Request("out", replicates: Replicates, rangeSize: 2);
        var expected = Path.Combine(cluster.Folder, "expected");
        Directory.CreateDirectory(expected);
        var options = RunParameters.Read<PpcaParameters>(request).ToOptions();
        await PpcaOutputs.WriteAsync(expected, PpcaAnalysis.Run(data.X, data.Y, data.Attributes, options, null, cancellationToken), data.SeedIds, options, new JsonObject(), cancellationToken);

        var coordinator = cluster.Client.GetGrain<IRunCoordinatorGrain>("redis-run");
        await coordinator.Start(request);

        // Some, not all, replicate ranges done: kill a silo while the others are in flight.
        var doneBeforeKill = 0;
        await ProcessPoll.UntilAsync(
            async () =>
            {
                var report = await coordinator.GetReport();
                Assert.False(report.Status.State.IsFinished(), $"the run ended ({report.Status.State}) before a silo could be killed: {report.Status.Error}");
                var stage = report.Stages.FirstOrDefault(s => s.Name == PpcaStages.Replicates);
                doneBeforeKill = stage?.Ranges.Count(r => r.State == "done") ?? 0;
                return stage is not null && doneBeforeKill > 0 && doneBeforeKill < stage.Ranges.Count;
            },
            RunDeadline,
            "replicate ranges in flight",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));
        var coordinatorSilo = await cluster.HostOfAsync(coordinator);
        var victim = killCoordinatorSilo ? coordinatorSilo : cluster.Silos.Single(s => s != coordinatorSilo);
        victim.Kill();

        // Calls fail or time out until the cluster declares the silo dead; keep polling.
        RunStatus? status = null;
        await ProcessPoll.UntilAsync(
            async () =>
            {
                try
                {
                    status = await coordinator.GetStatus();
                }
                catch (Exception e) when (e is OrleansException or TimeoutException or OperationCanceledException)
                {
                    return false;
                }

                return status.State.IsFinished();
            },
            RunDeadline,
            "the run to finish after the kill",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));
        Assert.True(status!.State == RunState.Completed, $"{status.State}: {status.Error}");

        var final = await coordinator.GetReport();
        foreach (var stage in final.Stages)
        {
            Assert.All(stage.Ranges, r => Assert.Equal(("done", 1), (r.State, r.Completions)));
            Assert.Equal(stage.TotalUnits, stage.Ranges.Sum(r => (long)r.Count));
        }

        Assert.Equal(Replicates, final.Stages.Single(s => s.Name == PpcaStages.Replicates).Ranges.Sum(r => r.Count));
        TestInputs.AssertSameTables(expected, DataRootPaths.Resolve(cluster.DataRoot, "out"));
        Assert.True(doneBeforeKill > 0);
        if (killCoordinatorSilo)
        {
            // The coordinator resumed from its Redis state on the surviving silo.
            Assert.NotSame(victim, await cluster.HostOfAsync(coordinator));
        }
    }
}
