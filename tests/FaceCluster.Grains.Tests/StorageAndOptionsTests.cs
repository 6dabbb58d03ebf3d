using FaceCluster.Hosting;
using Orleans.Storage;

namespace FaceCluster.Grains.Tests;

public sealed class StorageAndOptionsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-storage-tests-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

#nullable disable
    private sealed class Holder<T> : IGrainState<T>
    {
        public T State { get; set; }

        public string ETag { get; set; }

        public bool RecordExists { get; set; }
    }
#nullable restore

    [Fact]
    public async Task File_storage_round_trips_state_and_honours_etags()
    {
        var storage = new FileGrainStorage(_root);
        var id = GrainId.Create("run", "a/b c");
        var fresh = new Holder<RunRegistryState>();
        await storage.ReadStateAsync("registry", id, fresh);
        Assert.False(fresh.RecordExists);
        Assert.Null(fresh.ETag);
        Assert.Empty(fresh.State.Runs);

        fresh.State.Runs.Add("r1");
        await storage.WriteStateAsync("registry", id, fresh);
        Assert.Equal("1", fresh.ETag);
        var path = storage.PathOf("registry", id);
        Assert.StartsWith(_root, path, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".*"));

        var other = new Holder<RunRegistryState>();
        await storage.ReadStateAsync("registry", id, other);
        Assert.Equal(["r1"], other.State.Runs);
        Assert.True(other.RecordExists);

        other.State.Runs.Add("r2");
        await storage.WriteStateAsync("registry", id, other);
        Assert.Equal("2", other.ETag);

        fresh.State.Runs.Add("stale");
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("registry", id, fresh));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("registry", id, fresh));

        await storage.ClearStateAsync("registry", id, other);
        Assert.False(File.Exists(path));
        Assert.False(other.RecordExists);
    }

    [Fact]
    public void Options_validation_explains_every_failure()
    {
        var options = new FaceClusterClusterOptions
        {
            DataRoot = "relative/path",
            WorkerSlots = -1,
            RangeTimeout = TimeSpan.Zero,
            MaxRangeFailures = 0,
            MaxReplicatesPerRange = 0,
            DispatchTimeout = TimeSpan.FromMinutes(1),
            WakeInterval = TimeSpan.Zero,
        };
        var result = new FaceClusterClusterOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(7, failures.Count);
        Assert.Contains(failures, f => f.Contains("DataRoot must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("WorkerSlots", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("MaxRangeFailures must be at least 1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("FaceCluster:MaxReplicatesPerRange must be at least 1", StringComparison.Ordinal));
        Assert.True(new FaceClusterClusterOptionsValidator().Validate(null, new FaceClusterClusterOptions { DataRoot = _root }).Succeeded);
        Assert.Contains("is not set", new FaceClusterClusterOptions().Validate()[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embedded_cluster_runs_an_analysis_and_refuses_bad_options()
    {
        var inputs = await TestInputs.WriteAsync(_root, TestContext.Current.CancellationToken);
        await using (var cluster = await EmbeddedCluster.StartAsync(_root, o => o.WorkerSlots = 2, cancellationToken: TestContext.Current.CancellationToken))
        {
            var request = TestInputs.Request("embedded-out");
            await cluster.Client.GetGrain<IRunCoordinatorGrain>("embedded").Start(request);
            var statuses = new List<RunStatus>();
            var status = await cluster.Client.WaitForRunAsync("embedded", new SyncProgress(statuses.Add), TimeSpan.FromMilliseconds(20), cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(status.State == RunState.Completed, status.Error);
            Assert.Contains(statuses, s => s.Stage == PpcaStages.LeaveOneOut);
            TestInputs.AssertSameTables(
                await inputs.WriteSingleProcessOutputsAsync(Path.Combine(_root, "expected"), request, TestContext.Current.CancellationToken),
                Path.Combine(_root, "embedded-out"));
        }

        var bad = await Assert.ThrowsAnyAsync<Exception>(() => EmbeddedCluster.StartAsync(_root, o => o.MaxRangeFailures = 0, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("MaxRangeFailures must be at least 1", bad.ToString(), StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<RunStatus> report) : IProgress<RunStatus>
    {
        public void Report(RunStatus value) => report(value);
    }
}
