using FaceCluster.Hosting;
using Orleans.Configuration;
using System.Text.Json;

namespace FaceCluster.Grains.Tests;

public sealed class ClusterRunTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-grains-tests-").FullName;
    private TestInputs _inputs = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _inputs = await TestInputs.WriteAsync(_root, Ct);

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    private string Expected(RunRequest request) => _inputs.WriteSingleProcessOutputsAsync(Path.Combine(_root, "expected"), request, Ct).GetAwaiter().GetResult();

    private static void AssertEveryRangeCountedOnce(RunReport report)
    {
        Assert.Equal(RunState.Completed, report.Status.State);
        Assert.Equal(
            [PpcaStages.Prepare, PpcaStages.LeaveOneOut, PpcaStages.Bootstrap, PpcaStages.Replicates, PpcaStages.Aggregate],
            report.Stages.Select(s => s.Name));
        foreach (var stage in report.Stages)
        {
            Assert.Equal(stage.TotalUnits, stage.CompletedUnits);
            Assert.Equal(stage.TotalUnits, stage.Ranges.Sum(r => (long)r.Count));
            Assert.All(stage.Ranges, r => Assert.True(r.State == "done" && r.Completions == 1, $"{stage.Name} {r}"));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_cluster_of_any_size_gives_the_single_process_bytes(short silos)
    {
        await using var harness = await ClusterHarness.StartAsync(silos, _root);
        var request = TestInputs.Request($"out-{silos}");
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>($"run-{silos}");

        var started = await coordinator.Start(request);
        Assert.Equal(RunState.Running, started.State);
        Assert.Equal(RunState.Running, (await coordinator.Start(request)).State);
        var status = await Poll.FinishedAsync(harness.Client, $"run-{silos}");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, $"out-{silos}"));
        var report = await coordinator.GetReport();
        AssertEveryRangeCountedOnce(report);
        Assert.Equal(40, report.Stages[1].Ranges.Count);
        Assert.Equal(4, report.Stages[3].Ranges.Count);
        if (silos > 1)
        {
            var used = harness.Observer.Finished.Where(f => f.Outcome == RangeOutcome.Computed).Select(f => f.Silo).Distinct().Count();
            Assert.True(used > 1, $"ranges ran on {used} silo(s) of {silos}");
        }

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_root, $"out-{silos}", "summary.json"), Ct));
        Assert.Equal("cluster", summary.RootElement.GetProperty("execution").GetProperty("mode").GetString());
        Assert.Equal(12, summary.RootElement.GetProperty("parameters").GetProperty("replicates").GetInt32());
        Assert.True(summary.RootElement.GetProperty("timings_seconds").TryGetProperty("loading_significance", out _));
        Assert.Equal(["run-" + silos], await harness.Client.GetGrain<IRunRegistryGrain>(0).List());
        Assert.Empty(await harness.Client.GetGrain<IRunRegistryGrain>(0).ListUnfinished());
    }

    [Fact]
    public async Task Any_range_size_gives_the_same_bytes()
    {
        await using var harness = await ClusterHarness.StartAsync(1, _root);
        foreach (var size in new[] { 0, 1, 7 })
        {
            var request = TestInputs.Request($"out-size-{size}", rangeSize: size);
            await harness.Client.GetGrain<IRunCoordinatorGrain>($"size-{size}").Start(request);
            var status = await Poll.FinishedAsync(harness.Client, $"size-{size}");
            Assert.True(status.State == RunState.Completed, status.Error);
            TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, $"out-size-{size}"));
        }
    }

    [Fact]
    public async Task Guided_ranges_shrink_toward_the_end_survive_a_stopped_silo_and_give_the_same_bytes()
    {
        var observer = new RecordingObserver();
        await using var harness = await ClusterHarness.StartAsync(3, _root, observer: observer);
        var victim = harness.Cluster.Silos[2];
        observer.Hold = (range, silo) => silo.Equals(victim.SiloAddress) && range.Stage == PpcaStages.Replicates;
        var request = TestInputs.Request("out-guided", replicates: 60, rangeSize: 0);
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("guided");
        await coordinator.Start(request);

        await Poll.UntilAsync(() => observer.Held.Count > 0, "a replicate range in flight on the silo to stop");
        await harness.Cluster.StopSiloAsync(victim);
        var status = await Poll.FinishedAsync(harness.Client, "guided");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out-guided"));
        var report = await coordinator.GetReport();
        AssertEveryRangeCountedOnce(report);

        // 3 silos x 2 slots when the stage was cut: ranges of ceil(remaining / 12) replicates, 5 first, 1 at the end.
        var replicates = report.Stages.Single(s => s.Name == PpcaStages.Replicates);
        Assert.Equal(RangeSchedule.Guided(60, 6), replicates.Ranges.Select(r => (r.First, r.Count)).ToList());
        Assert.Equal(5, replicates.RangeSize);
        Assert.Equal(1, replicates.Ranges[^1].Count);
        var folds = report.Stages.Single(s => s.Name == PpcaStages.LeaveOneOut).Ranges;
        Assert.All(folds.SkipLast(1), r => Assert.Equal(0, r.Count % 8));
        Assert.All(folds.Skip(1), r => Assert.True(r.Count <= folds[0].Count, string.Join(", ", folds.Select(f => f.Count))));

        // The ranges of the stopped silo went elsewhere, and every range was computed exactly once.
        Assert.Contains(replicates.Ranges, r => r.Reassignments > 0);
        Assert.All(observer.Computed(PpcaStages.Replicates).Values, count => Assert.Equal(1, count));
        Assert.Equal(replicates.Ranges.Count, observer.Computed(PpcaStages.Replicates).Count);
    }

    [Fact]
    public async Task Guided_ranges_are_kept_when_a_cluster_with_other_slots_resumes_the_run()
    {
        // 1 silo x 2 slots cuts 24 replicates into 6, 5, 4, 3, 2, 1, 1, 1, 1; 3 slots would cut 4, 4, 3, ...
        var request = TestInputs.Request("out", replicates: 24, rangeSize: 0);
        var first = new RecordingObserver { Hold = (range, _) => range.Stage == PpcaStages.Replicates && range.First >= 6 };
        List<(int First, int Count)> cut;
        await using (var harness = await ClusterHarness.StartAsync(1, _root, observer: first))
        {
            var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("guided-restart");
            await coordinator.Start(request);
            var report = await Poll.UntilAsync(
                () => coordinator.GetReport().AsTask(),
                r => r.Stages.Count == 4 && r.Stages[3].CompletedUnits == 6 && first.Held.Count == 2,
                "replicates 0-5 done (their shard checked by the coordinator) and the next two ranges held");
            cut = report.Stages[3].Ranges.Select(r => (r.First, r.Count)).ToList();
        }

        Assert.Equal(RangeSchedule.Guided(24, 2), cut);
        var shard = Path.Combine(_root, "runs", "guided-restart", "shards", "replicates-0000000-0000006.parquet");
        var written = File.GetLastWriteTimeUtc(shard);

        var second = new RecordingObserver();
        await using var restarted = await ClusterHarness.StartAsync(1, _root, options => options.WorkerSlots = 3, second);
        var status = await Poll.FinishedAsync(restarted.Client, "guided-restart");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out"));
        var resumed = await restarted.Client.GetGrain<IRunCoordinatorGrain>("guided-restart").GetReport();
        AssertEveryRangeCountedOnce(resumed);
        Assert.Equal(cut, resumed.Stages[3].Ranges.Select(r => (r.First, r.Count)).ToList());
        Assert.DoesNotContain(0, second.Computed(PpcaStages.Replicates).Keys);
        Assert.All(second.Computed(PpcaStages.Replicates).Values, count => Assert.Equal(1, count));
        Assert.Equal(written, File.GetLastWriteTimeUtc(shard));
        Assert.Equal(cut.Count, Directory.GetFiles(Path.GetDirectoryName(shard)!, "replicates-*.parquet").Length);
    }

    [Fact]
    public async Task A_silo_stopped_mid_run_loses_no_range_and_changes_no_byte()
    {
        var observer = new RecordingObserver();
        await using var harness = await ClusterHarness.StartAsync(3, _root, observer: observer);
        var victim = harness.Cluster.Silos[2];
        observer.Hold = (range, silo) => silo.Equals(victim.SiloAddress) && range.Stage == PpcaStages.Replicates;
        var request = TestInputs.Request("out");
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("victim");
        await coordinator.Start(request);

        await Poll.UntilAsync(() => observer.Held.Count > 0, "a replicate range in flight on the silo to stop");
        await harness.Cluster.StopSiloAsync(victim);
        var status = await Poll.FinishedAsync(harness.Client, "victim");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out"));
        var report = await coordinator.GetReport();
        AssertEveryRangeCountedOnce(report);
        var replicates = report.Stages.Single(s => s.Name == PpcaStages.Replicates);
        Assert.Contains(replicates.Ranges, r => r.Reassignments > 0);
        Assert.DoesNotContain(replicates.Ranges, r => r.Silo == victim.SiloAddress.ToParsableString());
        Assert.All(observer.Computed(PpcaStages.Replicates).Values, count => Assert.Equal(1, count));
        Assert.Equal(4, observer.Computed(PpcaStages.Replicates).Count);
    }

    [Fact]
    public async Task A_range_whose_silos_keep_dying_under_it_fails_its_run_as_poison()
    {
        var observer = new RecordingObserver { Hold = (range, _) => range.Stage == PpcaStages.Replicates && range.First == 3 };
        await using var harness = await ClusterHarness.StartAsync(
            6,
            _root,
            options => options.MaxSiloLosses = 2,
            observer,
            (_, silo) => silo.Configure<ClusterMembershipOptions>(m =>
            {
                // A killed silo is declared dead within seconds.
                m.ProbeTimeout = TimeSpan.FromSeconds(1);
                m.NumMissedProbesLimit = 2;
                m.NumVotesForDeathDeclaration = 1;
            }));
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("poison");
        await coordinator.Start(TestInputs.Request("out"));

        // The range "kills" each silo that takes it: the run must stop after two such deaths, not take down the others.
        // (A kill that also takes the coordinator may lose the count of a death not yet persisted: then more are needed,
        // but never more than twice the limit.)
        Func<Task<RunStatus?>> coordinatorStatus = () => Poll.AnswerAsync(async () => await coordinator.GetStatus());
        RunStatus? status;
        for (var killed = 0; ; killed++)
        {
            var held = killed;
            status = await Poll.UntilAsync(coordinatorStatus, s => s?.State.IsFinished() == true || observer.Held.Count > held, $"the run to end or the poison range to be held again ({killed} killed)");
            if (status?.State.IsFinished() == true)
            {
                break;
            }

            Assert.True(killed < 4, $"the poison range took down a fifth silo; held on: {string.Join(", ", observer.Held.Select(h => $"{h.Range.First}@{h.Silo}"))}; status {status}");
            var host = observer.Held.Last().Silo;
            await harness.Cluster.KillSiloAsync(harness.Cluster.Silos.Single(s => s.SiloAddress.Equals(host)));
        }

        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("poison", status.Error, StringComparison.Ordinal);
        Assert.True(
            status.Error!.Contains("range replicates [3, 6) was running on a silo that died 2 times", StringComparison.Ordinal)
            || status.Error.Contains("the run's coordinator was restarted 2 times", StringComparison.Ordinal),
            status.Error);
        Assert.True(harness.Cluster.Silos.Count >= 2);
        await Poll.UntilAsync(
            () => Poll.AnswerAsync(async () => await harness.Client.GetGrain<IRunRegistryGrain>(0).ListUnfinished()),
            unfinished => unfinished is { Count: 0 },
            "the registry to release the run");
    }

    [Fact]
    public async Task A_deactivated_coordinator_resumes_from_persisted_state_without_recomputing_shards()
    {
        var observer = new RecordingObserver { Hold = (range, _) => range.Stage == PpcaStages.Replicates && range.First >= 6 };
        await using var harness = await ClusterHarness.StartAsync(1, _root, observer: observer);
        var request = TestInputs.Request("out");
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("resume");
        await coordinator.Start(request);

        await Poll.UntilAsync(
            () => coordinator.GetReport().AsTask(),
            r => r.Stages.Count == 4 && r.Stages[3].CompletedUnits == 6 && observer.Held.Count == 2,
            "replicates 0-5 done and 6-11 held");
        var shards = Directory.GetFiles(Path.Combine(_root, "runs", "resume", "shards"), "*.parquet").ToDictionary(f => f, File.GetLastWriteTimeUtc);
        await harness.Cluster.DeactivateAsync(coordinator);
        observer.ReleaseAll();
        var status = await Poll.FinishedAsync(harness.Client, "resume");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out"));
        AssertEveryRangeCountedOnce(await coordinator.GetReport());
        foreach (var (shard, written) in shards)
        {
            Assert.Equal(written, File.GetLastWriteTimeUtc(shard));
        }

        foreach (var stage in new[] { PpcaStages.LeaveOneOut, PpcaStages.Replicates })
        {
            Assert.All(observer.Computed(stage).Values, count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public async Task A_restarted_cluster_resumes_unfinished_runs_from_the_data_root()
    {
        var first = new RecordingObserver { Hold = (range, _) => range.Stage == PpcaStages.Replicates && range.First >= 3 };
        var request = TestInputs.Request("out");
        await using (var harness = await ClusterHarness.StartAsync(1, _root, observer: first))
        {
            await harness.Client.GetGrain<IRunCoordinatorGrain>("restart").Start(request);
            await Poll.UntilAsync(() => first.Held.Count >= 2, "replicates held when the cluster stops");

            // The first replicate range must be on disk (not merely computed) before the cluster stops.
            var shards = Path.Combine(_root, "runs", "restart", "shards");
            await Poll.UntilAsync(
                () => Directory.Exists(shards) && Directory.GetFiles(shards, "replicates-0000000-*.parquet").Length > 0,
                "the shard of the first replicate range");
        }

        // A new cluster on the same data root: nobody calls the run; the registry wakes it.
        var second = new RecordingObserver();
        await using var restarted = await ClusterHarness.StartAsync(1, _root, observer: second);
        var status = await Poll.FinishedAsync(restarted.Client, "restart");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out"));
        Assert.Empty(second.Computed(PpcaStages.LeaveOneOut));
        Assert.Empty(second.Computed(PpcaStages.Bootstrap));
        Assert.DoesNotContain(0, second.Computed(PpcaStages.Replicates).Keys);
        Assert.Contains(3, second.Computed(PpcaStages.Replicates).Keys);
    }

    [Fact]
    public async Task A_range_that_times_out_is_reassigned_and_counted_once()
    {
        var observer = new RecordingObserver { Hold = (range, _) => range.Stage == PpcaStages.Replicates && range.First == 3 && range.Attempt == 1 };
        await using var harness = await ClusterHarness.StartAsync(1, _root, options => options.RangeTimeout = TimeSpan.FromSeconds(2), observer);
        var request = TestInputs.Request("out");
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("timeout");
        await coordinator.Start(request);
        var status = await Poll.FinishedAsync(harness.Client, "timeout");

        Assert.True(status.State == RunState.Completed, status.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out"));
        var report = await coordinator.GetReport();
        AssertEveryRangeCountedOnce(report);
        var range = report.Stages.Single(s => s.Name == PpcaStages.Replicates).Ranges.Single(r => r.First == 3);
        Assert.True(range.Attempts >= 2 && range.Failures >= 1, range.ToString());
        Assert.Contains("timed out", range.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_stops_the_run_and_writes_no_output()
    {
        var observer = new RecordingObserver { Hold = (range, _) => range.Stage == PpcaStages.Replicates };
        await using var harness = await ClusterHarness.StartAsync(1, _root, observer: observer);
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("cancel");
        await coordinator.Start(TestInputs.Request("out"));
        await Poll.UntilAsync(() => observer.Held.Count > 0, "a replicate range in flight");

        var cancelled = await coordinator.Cancel();
        observer.ReleaseAll();

        Assert.Equal(RunState.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
        Assert.Equal(RunState.Cancelled, (await coordinator.Cancel()).State);
        await Poll.UntilAsync(() => observer.Finished.Count(f => f.Range.Stage == PpcaStages.Replicates) >= observer.Held.Count, "held ranges to end");
        Assert.Equal(RunState.Cancelled, (await coordinator.GetStatus()).State);
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
        Assert.DoesNotContain(observer.Finished, f => f.Range.Stage == PpcaStages.Replicates && f.Outcome == RangeOutcome.Computed);
        Assert.Empty(await harness.Client.GetGrain<IRunRegistryGrain>(0).ListUnfinished());
    }

    [Fact]
    public async Task A_range_that_throws_is_retried_then_fails_the_run_with_the_reason()
    {
        var observer = new RecordingObserver { Throw = range => range.Stage == PpcaStages.Replicates && range.First == 3 };
        await using var harness = await ClusterHarness.StartAsync(1, _root, options => options.MaxRangeFailures = 3, observer);
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("faulty");
        await coordinator.Start(TestInputs.Request("out"));
        var status = await Poll.FinishedAsync(harness.Client, "faulty");

        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("range replicates [3, 6) failed 3 times", status.Error, StringComparison.Ordinal);
        Assert.Contains("injected fault in replicates 3", status.Error, StringComparison.Ordinal);
        Assert.Equal(3, observer.Finished.Count(f => f.Range.Stage == PpcaStages.Replicates && f.Range.First == 3 && f.Outcome == RangeOutcome.Failed));
        Assert.False(Directory.Exists(Path.Combine(_root, "out")));
        var range = (await coordinator.GetReport()).Stages[^1].Ranges.Single(r => r.First == 3);
        Assert.Equal(3, range.Failures);

        // Once the fault is gone, the same request resumes the failed run: only the unfinished ranges are computed.
        var computedBefore = observer.Computed(PpcaStages.Replicates);
        observer.Throw = _ => false;
        var request = TestInputs.Request("out");
        await coordinator.Start(request);
        var resumed = await Poll.FinishedAsync(harness.Client, "faulty");
        Assert.True(resumed.State == RunState.Completed, resumed.Error);
        TestInputs.AssertSameTables(Expected(request), Path.Combine(_root, "out"));
        foreach (var (first, count) in computedBefore)
        {
            Assert.Equal(count, observer.Computed(PpcaStages.Replicates)[first]);
        }
    }

    [Fact]
    public async Task Invalid_requests_are_refused_with_every_reason_and_bad_input_fails_the_run_without_retries()
    {
        await using var harness = await ClusterHarness.StartAsync(1, _root);
        var bad = RunParameters.Request(PpcaRunKind.KindName, "inputs", new PpcaParameters { X = "missing.parquet", Y = "../outside.parquet", Bootstrap = 1, RangeSize = -1 });
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>("bad").Start(bad).AsTask());
        foreach (var reason in new[] { "'missing.parquet' does not exist", "leaves the data root", "'inputs' already exists", "bootstrap must be 2 to", "range_size" })
        {
            Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
        }

        await File.WriteAllTextAsync(Path.Combine(_root, "inputs", "broken.csv"), "seed_id,a\ns1,1\ns2,oops\ns3,2\n", Ct);
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("broken");
        await coordinator.Start(RunParameters.Request(PpcaRunKind.KindName, "out", new PpcaParameters { X = "inputs/broken.csv", Y = TestInputs.YPath, Bootstrap = 10 }));
        var status = await Poll.FinishedAsync(harness.Client, "broken");
        Assert.Equal(RunState.Failed, status.State);
        Assert.Contains("broken.csv", status.Error, StringComparison.Ordinal);
        Assert.Equal(1, (await coordinator.GetReport()).Stages[0].Ranges[0].Attempts);
    }

    [Fact]
    public async Task An_output_folder_belongs_to_one_unfinished_run_and_the_clusters_own_folders_to_none()
    {
        await using var harness = await ClusterHarness.StartAsync(1, _root);
        var first = harness.Client.GetGrain<IRunCoordinatorGrain>("first");
        await first.Start(TestInputs.Request("results/shared", replicates: 60, rangeSize: 1));

        // The same folder, one inside it, one around it: each refused while the first run is unfinished.
        foreach (var (id, output) in new[] { ("same", "results/shared"), ("inner", "./results/shared/inner"), ("outer", "results") })
        {
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>(id).Start(TestInputs.Request(output)).AsTask());
            Assert.Contains("is being written by run first", refused.Message, StringComparison.Ordinal);
        }

        foreach (var output in new[] { "runs/first/output", "grain-state/x" })
        {
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>("internal").Start(TestInputs.Request(output)).AsTask());
            Assert.Contains("which the cluster keeps for itself", refused.Message, StringComparison.Ordinal);
        }

        var status = await Poll.FinishedAsync(harness.Client, "first");
        Assert.True(status.State == RunState.Completed, status.Error);
        Assert.Equal(["first"], await harness.Client.GetGrain<IRunRegistryGrain>(0).List());

        // Finished, the run's folder exists: a later run must choose another.
        var later = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>("later").Start(TestInputs.Request("results/shared")).AsTask());
        Assert.Contains("'results/shared' already exists", later.Message, StringComparison.Ordinal);
        await harness.Client.GetGrain<IRunCoordinatorGrain>("elsewhere").Start(TestInputs.Request("results/other"));
        Assert.Equal(RunState.Completed, (await Poll.FinishedAsync(harness.Client, "elsewhere")).State);
    }

    [Fact]
    public async Task Gppca_runs_as_one_unit()
    {
        await using var harness = await ClusterHarness.StartAsync(1, _root);
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("gppca");
        await coordinator.Start(RunParameters.Request(GppcaRunKind.KindName, "gppca-out", new GppcaParameters { Judgments = TestInputs.YPath }));
        var status = await Poll.FinishedAsync(harness.Client, "gppca");
        Assert.True(status.State == RunState.Completed, status.Error);
        Assert.True(File.Exists(Path.Combine(_root, "gppca-out", "gppca.parquet")));
        Assert.Equal([GppcaRunKind.Stage], (await coordinator.GetReport()).Stages.Select(s => s.Name));
    }
}
