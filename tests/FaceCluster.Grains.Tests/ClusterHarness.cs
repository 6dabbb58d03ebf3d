using System.Collections.Concurrent;
using FaceCluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace FaceCluster.Grains.Tests;

/// <summary>An in-process test cluster of real silos sharing one data root in a temporary folder.</summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    private ClusterHarness(InProcessTestCluster cluster, string dataRoot, RecordingObserver observer)
    {
        Cluster = cluster;
        DataRoot = dataRoot;
        Observer = observer;
    }

    public InProcessTestCluster Cluster { get; }

    public string DataRoot { get; }

    public RecordingObserver Observer { get; }

    public IClusterClient Client => Cluster.Client;

    public static async Task<ClusterHarness> StartAsync(
        short silos,
        string dataRoot,
        Action<FaceClusterClusterOptions>? configure = null,
        RecordingObserver? observer = null,
        Action<InProcessTestSiloSpecificOptions, ISiloBuilder>? configureSilo = null)
    {
        observer ??= new RecordingObserver();
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((siloOptions, silo) =>
        {
            configureSilo?.Invoke(siloOptions, silo);
            silo.AddFaceClusterGrains(options =>
                {
                    options.DataRoot = dataRoot;
                    options.WorkerSlots = 2;
                    options.SchedulerInterval = TimeSpan.FromMilliseconds(200);
                    options.WakeInterval = TimeSpan.FromMilliseconds(500);
                    configure?.Invoke(options);
                })
                .AddFaceClusterFileStorage();
            silo.Services.AddSingleton<IRangeObserver>(observer);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new ClusterHarness(cluster, dataRoot, observer);
    }

    public async ValueTask DisposeAsync()
    {
        Observer.ReleaseAll();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Records every attempt at a range per silo, and can hold ranges in flight (until released or the silo stops) or make
/// them throw: a real <see cref="IRangeObserver"/>, the extension point telemetry uses too.
/// </summary>
internal sealed class RecordingObserver : IRangeObserver
{
    private readonly ConcurrentQueue<(WorkRange Range, SiloAddress Silo, RangeOutcome Outcome)> _finished = new();
    private readonly ConcurrentQueue<(WorkRange Range, SiloAddress Silo)> _held = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Ranges for which this returns true wait in <see cref="OnRangeStartingAsync"/> until <see cref="ReleaseAll"/>.</summary>
    public Func<WorkRange, SiloAddress, bool> Hold { get; set; } = (_, _) => false;

    /// <summary>Ranges for which this returns true throw.</summary>
    public Func<WorkRange, bool> Throw { get; set; } = _ => false;

    public IReadOnlyCollection<(WorkRange Range, SiloAddress Silo, RangeOutcome Outcome)> Finished => _finished;

    public IReadOnlyCollection<(WorkRange Range, SiloAddress Silo)> Held => _held;

    public void ReleaseAll() => _release.TrySetResult();

    public async ValueTask OnRangeStartingAsync(WorkRange range, SiloAddress silo, CancellationToken cancellationToken)
    {
        if (Throw(range))
        {
            throw new InvalidOperationException($"injected fault in {range.Stage} {range.First}");
        }

        if (Hold(range, silo))
        {
            _held.Enqueue((range, silo));
            await _release.Task.WaitAsync(cancellationToken);
        }
    }

    public void OnRangeFinished(WorkRange range, SiloAddress silo, RangeOutcome outcome, TimeSpan elapsed) =>
        _finished.Enqueue((range, silo, outcome));

    /// <summary>How many times each range of <paramref name="stage"/> was computed (its shard written), by first unit.</summary>
    public Dictionary<int, int> Computed(string stage) => _finished
        .Where(f => f.Range.Stage == stage && f.Outcome == RangeOutcome.Computed)
        .GroupBy(f => f.Range.First)
        .ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>Polling with a deadline: no fixed sleeps.</summary>
internal static class Poll
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? Deadline);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Gave up waiting for {what}; last seen: {value}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The call's answer, or null when it failed because a silo was killed (the cluster has not noticed yet).</summary>
    public static async Task<T?> AnswerAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is OrleansException or Orleans.Runtime.Messaging.ConnectionFailedException or TimeoutException)
        {
            return null;
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        UntilAsync(() => Task.FromResult(condition()), c => c, what, deadline);

    /// <summary>Polls the run until it finishes; a call that fails because a killed silo held the activation is asked again.</summary>
    public static async Task<RunStatus> FinishedAsync(IGrainFactory grains, string runId, TimeSpan? deadline = null) =>
        (await UntilAsync(
            () => AnswerAsync(async () => await grains.GetGrain<IRunCoordinatorGrain>(runId).GetStatus()),
            s => s?.State.IsFinished() == true,
            $"run {runId} to finish",
            deadline))!;
}
