using FaceCluster.Grains;
using FaceCluster.Grains.Tests;

namespace FaceCluster.Reliability.Tests;

/// <summary>
/// Faults of the storage under a real cluster of silo processes: Redis killed mid-run and restarted (empty, or replaying
/// its append-only file) with every silo killed too, as a pod restart does. Either way the run finishes with the tables
/// of an undisturbed run and no finished range is computed again: what Redis lost, the data root still says.
/// </summary>
public sealed class RedisFaultTests
{
    private static readonly TimeSpan RunDeadline = TimeSpan.FromMinutes(4);

    [Theory(Timeout = 480_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_run_survives_redis_restarted_with_every_silo_whether_redis_kept_its_data_or_not(bool appendOnly)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await RedisProcessCluster.StartRedisAsync(cancellationToken, appendOnly);
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.ConnectAsync(2, cancellationToken);

        var inputs = await TestInputs.WriteAsync(cluster.DataRoot, cancellationToken);
        var request = TestInputs.Request("out", replicates: 40, rangeSize: 2);
        var expected = await inputs.WriteSingleProcessOutputsAsync(Path.Combine(cluster.Folder, "expected"), request, cancellationToken);

        await cluster.Client.GetGrain<IRunCoordinatorGrain>("storage-run").Start(request);
        var shards = Path.Combine(cluster.DataRoot, RunPaths.Shards("storage-run"));
        await ProcessPoll.UntilAsync(
            () => Task.FromResult(Directory.Exists(shards) && Directory.EnumerateFiles(shards, "replicates-*.parquet").Any()),
            RunDeadline,
            "a replicate shard",
            () => string.Join("\n", cluster.Silos.Select(s => s.Log)));

        // The storage and every silo go down together; a new Redis (empty, or from its AOF) and new silos come up.
        foreach (var silo in cluster.Silos)
        {
            silo.Kill();
        }

        await cluster.RestartRedisAsync(cancellationToken);
        var before = Directory.EnumerateFiles(shards, "*.parquet").ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.NotEmpty(before);
        await cluster.DisconnectAsync();
        cluster.StartSilo();
        cluster.StartSilo();
        await cluster.ConnectAsync(2, cancellationToken);

        var status = await cluster.WaitForRunAsync(cluster.Client.GetGrain<IRunCoordinatorGrain>("storage-run"), RunDeadline, "the run to finish after the restart");
        Assert.True(status.State == RunState.Completed, $"{status.State}: {status.Error}");
        TestInputs.AssertSameTables(expected, Path.Combine(cluster.DataRoot, "out"));
        foreach (var (shard, written) in before)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(shard));
        }

        var logs = string.Join("\n", cluster.Silos.Select(s => s.Log));
        Assert.Equal(!appendOnly, logs.Contains("Run storage-run (ppca) had no state in grain storage but an unfinished run folder: recovered from the data root", StringComparison.Ordinal));
        Assert.Contains("storage-run", await cluster.Client.GetGrain<IRunRegistryGrain>(0).List());
        Assert.Empty(await cluster.Client.GetGrain<IRunRegistryGrain>(0).ListUnfinished());
    }
}
