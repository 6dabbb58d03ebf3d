using FaceCluster.Tables;
using Microsoft.Extensions.DependencyInjection;

namespace FaceCluster.Grains.Tests;

/// <summary>A kind that exists only in this test plugs into the engine without any change to the coordinator.</summary>
public sealed class RunKindRegistryTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-kind-tests-").FullName;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>Squares the numbers 0..N-1 in ranges of 3, then sums them into the output folder.</summary>
    private sealed class SquaresKind : IRunKind
    {
        public string Name => "squares";

        public IReadOnlyList<string> Validate(RunRequest request, string dataRoot) =>
            RunParameters.Read<SquaresParameters>(request).N is > 0 and <= 1000 ? [] : ["n must be 1 to 1000"];

        public Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
        {
            var n = RunParameters.Read<SquaresParameters>(planning.Request).N;
            return Task.FromResult(planning.CompletedStage switch
            {
                null => new StagePlan("square", n, RangeSchedule.Fixed(n, 3)),
                "square" => StagePlan.One("sum"),
                _ => null,
            });
        }

        public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count) =>
            stage == "sum" ? Path.Combine(files.Output(request), "sum.txt") : files.Shard($"square-{first}.txt");

        public async Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
        {
            var (files, range) = (work.Files, work.Range);
            if (range.Stage == "square")
            {
                var squares = string.Join(",", Enumerable.Range(range.First, range.Count).Select(i => i * i));
                return ct => AtomicFile.WriteAsync(ShardOf(files, work.Request, "square", range.First, range.Count), (s, c) => s.WriteAsync(System.Text.Encoding.UTF8.GetBytes(squares), c).AsTask(), ct);
            }

            var total = 0L;
            foreach (var shard in Directory.EnumerateFiles(files.Shards, "square-*.txt"))
            {
                total += (await File.ReadAllTextAsync(shard, cancellationToken)).Split(',').Sum(long.Parse);
            }

            Directory.CreateDirectory(files.Output(work.Request));
            await File.WriteAllTextAsync(ShardOf(files, work.Request, "sum", 0, 1), total.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            return _ => Task.CompletedTask;
        }
    }

    private sealed record SquaresParameters(int N);

    [Fact]
    public async Task A_kind_registered_in_a_test_runs_on_a_cluster_and_bad_parameters_are_refused_naming_the_field()
    {
        await using var harness = await ClusterHarness.StartAsync(2, _root, configureSilo: (_, silo) => silo.Services.AddRunKind<SquaresKind>());
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("squares-1");
        await coordinator.Start(RunParameters.Request("squares", "sums", new SquaresParameters(10)));
        var status = await Poll.FinishedAsync(harness.Client, "squares-1");
        Assert.True(status.State == RunState.Completed, status.Error);
        Assert.Equal("285", await File.ReadAllTextAsync(Path.Combine(_root, "sums", "sum.txt"), TestContext.Current.CancellationToken));
        Assert.Equal("squares", status.Kind);
        Assert.Equal(["square", "sum"], status.Stages!.Select(s => s.Name));
        Assert.Equal(4, (await coordinator.GetReport()).Stages[0].Ranges.Count);

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>("squares-2").Start(new RunRequest("squares", "x", """{"n": "many"}""")).AsTask());
        Assert.Contains("field 'n'", refused.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>("nope").Start(new RunRequest("nope", "x", "{}")).AsTask());
        Assert.Contains("kind must be one of", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("squares", unknown.Message, StringComparison.Ordinal);
    }
}
