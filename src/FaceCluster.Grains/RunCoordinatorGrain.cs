using System.Globalization;
using System.Text.Json;
using FaceCluster.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Orleans.Storage;

namespace FaceCluster.Grains;

/// <summary>
/// One per run (key: run id), of any kind. A persisted state machine: Running through the stages its
/// <see cref="IRunKind"/> plans one after another, then Completed, Failed or Cancelled. A stage is either cut into ranges
/// that the <see cref="RangeScheduler"/> hands to the silos' workers (through each silo's <see cref="ISiloWorkGateway"/>,
/// placed there by a placement hint), or a child run of another kind that this grain starts and follows. A grain timer
/// (which keeps the activation alive while the run is unfinished) notices dead silos, timed-out ranges and shards written
/// without a report, follows child runs and persists progress. Every call returns within
/// <see cref="FaceClusterClusterOptions.DispatchTimeout"/> or so.
/// </summary>
/// <remarks>
/// A present shard is a finished range: on activation (after a deactivation, or on another silo after this one died)
/// the coordinator marks every range whose shard exists as done and schedules only the others.
/// </remarks>
public sealed partial class RunCoordinatorGrain(
    [PersistentState("run", FaceClusterStorage.Name)] IPersistentState<RunCoordinatorState> state,
    IOptions<FaceClusterClusterOptions> options,
    IClusterMembershipService membership,
    RunKindRegistry kinds,
    IServiceProvider services,
    ILogger<RunCoordinatorGrain> logger) : Grain, IRunCoordinatorGrain
{
    private static readonly TimeSpan PersistEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan UnresponsivePause = TimeSpan.FromSeconds(5);
    private const string NoRun = "no run with this id has been started";

    private readonly FaceClusterClusterOptions _options = options.Value;
    private readonly RangeScheduler _scheduler = new(options.Value.MaxRangeFailures, options.Value.RangeTimeout, options.Value.MaxSiloLosses);
    private readonly Dictionary<SiloAddress, int> _slots = [];
    private readonly Dictionary<SiloAddress, DateTimeOffset> _unresponsiveUntil = [];
    private readonly Dictionary<(string Stage, int First), RangeProgress> _progress = [];

    // Silo roles come from the metadata cache, present when the silo declared a role (absent in bare test clusters).
    private readonly ISiloMetadataCache? _metadata = services.GetService<ISiloMetadataCache>();
    private RunStatus? _child;
    private IGrainTimer? _timer;
    private RunFiles? _files;
    private bool _dirty;
    private DateTimeOffset _lastPersist;

    private RunCoordinatorState Run => state.State;

    private string RunId => this.GetPrimaryKeyString();

    private RunFiles Files => _files ??= new(_options.DataRoot, RunId);

    private IRunKind Kind => kinds.Get(Run.Request!.Kind);

    private bool IsUnfinished => Run.Request is not null && Run.State is RunState.Pending or RunState.Running or RunState.Aggregating;

    private StageState? Current => Run.Stages.Count > 0 ? Run.Stages[^1] : null;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Run.Request is null && File.Exists(Files.Request))
        {
            // The run folder says a run was accepted here, but the grain storage has no state (Redis restarted empty):
            // take the run up from the data root, where its shards are the truth.
            await RecoverFromDataRootAsync();
            return;
        }

        if (!IsUnfinished)
        {
            return;
        }

        // Counted and persisted before any work: a run whose coordinator takes its silo down stops after a few tries.
        Run.ResumesWithoutProgress++;
        await state.WriteStateAsync(cancellationToken);
        if (Run.ResumesWithoutProgress > _options.MaxSiloLosses)
        {
            await FinishAsync(
                RunState.Failed,
                $"the run's coordinator was restarted {Run.ResumesWithoutProgress - 1} times without a range finishing; the run is stopped as poison (check its options and inputs)");
            return;
        }

        // Resume: whatever this state says, the shards on disk are the truth.
        LogResuming(RunId, Run.State, Current?.Name);
        if (Current is { } stage)
        {
            Reconcile(stage);
        }

        StartTimer();
        await AdvanceWhileCompleteAsync();
        await PersistAsync(force: true);
    }

    private async Task ResumeFailedAsync(RunRequest request)
    {
        if (await GrainFactory.GetGrain<IRunRegistryGrain>(0).Register(RunId, request.OutputPath, request.Parent) is { } refusal)
        {
            throw new ArgumentException($"Run {RunId} cannot be resumed: {refusal}.", nameof(request));
        }

        LogResumingFailed(RunId, Run.Error);
        File.Delete(Files.Finished);
        (Run.State, Run.Error, Run.FinishedAt, Run.BadInput, Run.ResumesWithoutProgress) = (RunState.Running, null, null, false, 0);
        _dirty = true;
        if (Current is { } stage)
        {
            RangeScheduler.ResetForResume(stage);
            if (stage.ChildRunId is not null)
            {
                // The stage's own run failed first: resume it the same way.
                await GrainFactory.GetGrain<IRunCoordinatorGrain>(stage.ChildRunId).Start(stage.ChildRequest!);
            }

            Reconcile(stage);
        }

        await PersistAsync(force: true);
        await ProceedAsync();
    }

    /// <summary>
    /// Sets a started, recovered or resumed run going: the timer, its first stage when none is planned yet, the stages
    /// whose shards are all there, ranges handed out, the state persisted.
    /// </summary>
    private async Task ProceedAsync()
    {
        StartTimer();
        if (Current is null)
        {
            await PlanNextAsync(completed: null);
        }

        await AdvanceWhileCompleteAsync();
        await PumpAsync();
        await PersistAsync(force: true);
    }

    private async Task RecoverFromDataRootAsync()
    {
        RunRequest request;
        try
        {
            request = await Files.ReadRequestAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            LogPersistFailed(RunId, $"{RunPaths.Request(RunId)} is unreadable, the run is not recovered: {e.Message}");
            return;
        }

        Run.RunId = RunId;
        Run.Request = request;
        Run.SubmittedAt = File.GetLastWriteTimeUtc(Files.Request);
        _dirty = true;
        if (Files.TryReadFinished() is { } finished)
        {
            (Run.State, Run.Error, Run.SubmittedAt, Run.FinishedAt, Run.BadInput) = (finished.State, finished.Error, finished.SubmittedAt, finished.FinishedAt, finished.BadInput);
            await PersistAsync(force: true);
            return;
        }

        LogRecovered(RunId, request.Kind);
        Run.State = RunState.Running;
        await PersistAsync(force: true);
        await GrainFactory.GetGrain<IRunRegistryGrain>(0).Register(RunId, request.OutputPath, request.Parent);
        await ProceedAsync();
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // An orderly end is not a crash: only restarts after a silo died count towards poison.
        if (Run.ResumesWithoutProgress > 0)
        {
            Run.ResumesWithoutProgress = 0;
            _dirty = true;
        }

        if (_dirty)
        {
            try
            {
                await PersistAsync(force: true);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogPersistFailed(RunId, e.Message);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<RunStatus> Start(RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Run.Request is not null)
        {
            if (Run.Request != request)
            {
                throw new ArgumentException($"Run {RunId} was already started with another request.", nameof(request));
            }

            if (Run.State == RunState.Failed)
            {
                // The same request again resumes a failed run: finished ranges are kept, the others tried afresh.
                await ResumeFailedAsync(request);
                return Status();
            }

            // A retried Start (for example after a timeout) also retries the registration.
            await GrainFactory.GetGrain<IRunRegistryGrain>(0).Register(RunId, request.OutputPath, request.Parent);
            return Status();
        }

        var errors = Validate(request);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Run {RunId} refused: {string.Join("; ", errors)}.", nameof(request));
        }

        // Registered (and its output claimed) before its state exists: a run can't be persisted yet unknown to the
        // registry; a registration whose start then fails is dropped by the registry's sweep.
        if (await GrainFactory.GetGrain<IRunRegistryGrain>(0).Register(RunId, request.OutputPath, request.Parent) is { } refusal)
        {
            throw new ArgumentException($"Run {RunId} refused: {refusal}.", nameof(request));
        }

        await Files.WriteRequestAsync(request, CancellationToken.None);
        Run.RunId = RunId;
        Run.Request = request;
        Run.SubmittedAt = Now;
        Run.State = RunState.Running;
        _dirty = true;
        await PersistAsync(force: true);
        LogStarted(RunId, request.Kind);
        await ProceedAsync();
        return Status();
    }

    /// <inheritdoc />
    public ValueTask<RunStatus> GetStatus() => ValueTask.FromResult(Status());

    /// <inheritdoc />
    public ValueTask<RunReport> GetReport() => ValueTask.FromResult(Report());

    /// <inheritdoc />
    public async ValueTask<RunStatus> Wake()
    {
        if (IsUnfinished && Current is { ChildRunId: not null } stage)
        {
            // A child run that ended wakes its parent: move on now rather than at the next tick.
            await FollowChildAsync(stage);
            await AdvanceWhileCompleteAsync();
            await PersistAsync(force: false);
        }

        if (IsUnfinished)
        {
            await PumpAsync();
        }

        return Status();
    }

    /// <inheritdoc />
    public async ValueTask<RunStatus> Cancel()
    {
        if (!IsUnfinished)
        {
            return Status();
        }

        Directory.CreateDirectory(Files.Folder);
        await File.WriteAllTextAsync(Files.CancelledMarker, Now.ToString("O", CultureInfo.InvariantCulture));
        if (Current is { ChildRunId: { } child })
        {
            await GrainFactory.GetGrain<IRunCoordinatorGrain>(child).Cancel();
        }

        await FinishAsync(RunState.Cancelled, null);
        LogCancelled(RunId);
        return Status();
    }

    /// <inheritdoc />
    public async ValueTask RangeCompleted(WorkRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        var target = Find(range);
        if (target is null || target.Status == RangeStatus.Done)
        {
            CountDuplicate();
            return;
        }

        if (!IsPresent(range.Stage, target))
        {
            await FailAttemptAsync(target, range.Stage, $"reported complete, but its shard {ShardOf(range.Stage, target)} is missing");
            return;
        }

        RangeScheduler.MarkDone(target);
        Run.ResumesWithoutProgress = 0;
        _dirty = true;
        await AdvanceWhileCompleteAsync();
        await PumpAsync();
        await PersistAsync(force: false);
    }

    /// <inheritdoc />
    public async ValueTask RangeFailed(WorkRange range, string reason)
    {
        ArgumentNullException.ThrowIfNull(range);
        var target = Find(range);
        if (target is null || target.Status == RangeStatus.Done || range.Attempt != target.Attempts)
        {
            // Done meanwhile, or an attempt already given up (reassigned): its failure no longer matters.
            CountDuplicate();
            return;
        }

        await FailAttemptAsync(target, range.Stage, reason);
    }

    /// <inheritdoc />
    public async ValueTask RangeRejected(WorkRange range, string reason)
    {
        ArgumentNullException.ThrowIfNull(range);
        var target = Find(range);
        if (target is null || target.Status == RangeStatus.Done)
        {
            CountDuplicate();
            return;
        }

        target.LastError = reason;
        await FinishAsync(RunState.Failed, reason, badInput: true);
    }

    /// <inheritdoc />
    public ValueTask RangeProgress(WorkRange range, RangeProgress progress)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(progress);
        if (Find(range) is { Status: RangeStatus.Running } target && range.Attempt == target.Attempts)
        {
            _progress[(range.Stage, range.First)] = progress;
        }

        return ValueTask.CompletedTask;
    }

    private List<string> Validate(RunRequest request)
    {
        if (!RunPaths.IsValidRunId(RunId))
        {
            return [$"'{RunId}' is not a valid run id (1-128 letters, digits, '.', '_' or '-')"];
        }

        if (kinds.Find(request.Kind) is not { } kind)
        {
            return [$"kind must be one of {string.Join(", ", kinds.Names)}, got '{request.Kind}'"];
        }

        try
        {
            _ = DataRootPaths.Resolve(_options.DataRoot, request.OutputPath, allowRoot: true);
        }
        catch (ArgumentException e)
        {
            return [$"the output folder: {e.Message}"];
        }

        try
        {
            return [.. kind.Validate(request, _options.DataRoot)];
        }
        catch (InvalidInputException e)
        {
            // A kind may read its parameters strictly while validating; the refusal names the field either way.
            return [e.Message];
        }
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(
            TickAsync,
            new GrainTimerCreationOptions
            {
                DueTime = _options.SchedulerInterval,
                Period = _options.SchedulerInterval,
                KeepAlive = true,
                Interleave = false,
            });
    }

    private void StopTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (!IsUnfinished)
        {
            StopTimer();
            return;
        }

        var stage = Current!;
        if (stage.ChildRunId is not null)
        {
            await FollowChildAsync(stage);
        }
        else
        {
            var snapshot = membership.CurrentSnapshot;
            var review = _scheduler.Review(
                stage,
                range => IsPresent(stage.Name, range),
                silo => snapshot.GetSiloStatus(SiloAddress.FromParsableString(silo)) is not (SiloStatus.Dead or SiloStatus.None),
                Now);
            _dirty |= review.Completed.Count + review.Reassigned.Count + review.Poison.Count > 0;
            if (review.Completed.Count > 0)
            {
                Run.ResumesWithoutProgress = 0;
            }

            foreach (var range in review.Reassigned)
            {
                LogReassigning(RunId, stage.Name, range.First, range.Silo!);
            }

            if (review.Reassigned.Count > 0)
            {
                // Silo deaths count towards poison: the count must survive this coordinator's own death.
                await PersistAsync(force: true);
            }

            if (review.Poison.Count > 0)
            {
                var poison = review.Poison[0];
                await FinishAsync(
                    RunState.Failed,
                    $"range {stage.Name} [{poison.First}, {poison.First + poison.Count}) was running on a silo that died {poison.SiloLosses} times; "
                    + "the run is stopped as poison so that it does not take down every silo in turn (check its options and inputs)");
                return;
            }

            foreach (var range in review.TimedOut)
            {
                await FailAttemptAsync(range, stage.Name, $"timed out on {range.Silo}");
                if (!IsUnfinished)
                {
                    return;
                }
            }
        }

        await AdvanceWhileCompleteAsync();
        await PumpAsync();
        await PersistAsync(force: false);
    }

    /// <summary>Starts the child run of <paramref name="stage"/> if it is not started, and marks the stage done once it completed.</summary>
    private async Task FollowChildAsync(StageState stage)
    {
        var child = GrainFactory.GetGrain<IRunCoordinatorGrain>(stage.ChildRunId!);
        try
        {
            var status = await child.GetStatus();
            if (status.Kind.Length == 0)
            {
                status = await child.Start(stage.ChildRequest!);
            }

            _child = status;
            switch (status.State)
            {
                case RunState.Completed:
                    RangeScheduler.MarkDone(stage.Ranges[0]);
                    Run.ResumesWithoutProgress = 0;
                    _dirty = true;
                    break;
                case RunState.Failed:
                    await FinishAsync(RunState.Failed, $"stage {stage.Name}: {status.Error}", status.BadInput);
                    break;
                case RunState.Cancelled:
                    await FinishAsync(RunState.Failed, $"stage {stage.Name}: its run {stage.ChildRunId} was cancelled");
                    break;
            }
        }
        catch (ArgumentException e)
        {
            await FinishAsync(RunState.Failed, $"stage {stage.Name}: {e.Message}");
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            // The child's silo may be moving; the next tick asks again.
            LogDispatchFailed(RunId, stage.Name, 0, stage.ChildRunId!, e.Message);
        }
    }

    /// <summary>Assigns pending ranges of the current stage to silos with room, and sends them.</summary>
    private async Task PumpAsync()
    {
        for (var round = 0; round < 3 && IsUnfinished; round++)
        {
            var stage = Current;
            if (stage is null || stage.ChildRunId is not null || !stage.Ranges.Exists(r => r.Status == RangeStatus.Pending))
            {
                return;
            }

            var now = Now;
            var silos = membership.CurrentSnapshot.Members.Values
                .Where(m => m.Status == SiloStatus.Active && !(_unresponsiveUntil.TryGetValue(m.SiloAddress, out var until) && until > now))
                .Select(m => new SiloCapacity(
                    m.SiloAddress.ToParsableString(),
                    Capacity(m.SiloAddress),
                    _metadata?.GetSiloMetadata(m.SiloAddress).Metadata.GetValueOrDefault(SiloRoleMetadata.Key) == SiloRoleMetadata.Gpu))
                .ToList();
            var assignments = RangeScheduler.Assign(stage, silos, now);
            if (assignments.Count == 0)
            {
                return;
            }

            _dirty = true;
            if (!await DispatchAsync(stage, assignments))
            {
                return;
            }
        }
    }

    /// <summary>Sends assigned ranges to their silos; returns whether it learned a silo's slot count.</summary>
    private async Task<bool> DispatchAsync(StageState stage, IReadOnlyList<(RangeState Range, string Silo)> assignments)
    {
        var calls = new List<Task<RangeAccepted>>(assignments.Count);
        foreach (var (range, silo) in assignments)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, SiloAddress.FromParsableString(silo));
            try
            {
                var gateway = GrainFactory.GetGrain<ISiloWorkGateway>(silo);
                calls.Add(gateway.Accept(new WorkRange(RunId, stage.Name, range.First, range.Count, range.Attempts)).AsTask());
            }
            finally
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }
        }

        try
        {
            await Task.WhenAll(calls).WaitAsync(_options.DispatchTimeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Handled per call below.
        }

        var learned = false;
        for (var i = 0; i < assignments.Count; i++)
        {
            var (range, silo) = assignments[i];
            var call = calls[i];
            if (call.IsCompletedSuccessfully)
            {
                var accepted = call.Result;
                range.Silo = accepted.Silo.ToParsableString();
                learned |= !_slots.TryGetValue(accepted.Silo, out var known) || known != accepted.Slots;
                _slots[accepted.Silo] = accepted.Slots;
            }
            else if (range.Status == RangeStatus.Running && range.Silo == silo)
            {
                LogDispatchFailed(RunId, stage.Name, range.First, silo, call.Exception?.GetBaseException().Message ?? "no answer in time");
                _unresponsiveUntil[SiloAddress.FromParsableString(silo)] = Now + UnresponsivePause;
                RangeScheduler.Abandon(range);
            }
        }

        return learned;
    }

    private int Capacity(SiloAddress silo) =>
        (_slots.TryGetValue(silo, out var slots) ? slots : _options.EffectiveWorkerSlots) + _options.PrefetchRangesPerSilo;

    private RangeState? Find(WorkRange range)
    {
        if (!IsUnfinished || Current is not { } stage || stage.Name != range.Stage)
        {
            return null;
        }

        return stage.Ranges.Find(r => r.First == range.First && r.Count == range.Count);
    }

    private string ShardOf(string stage, RangeState range) => Kind.ShardOf(Files, Run.Request!, stage, range.First, range.Count);

    private bool IsPresent(string stage, RangeState range) => File.Exists(ShardOf(stage, range));

    private void CountDuplicate()
    {
        if (Run.Request is not null)
        {
            Run.DuplicateReports++;
            _dirty = true;
        }
    }

    private async Task FailAttemptAsync(RangeState range, string stage, string reason)
    {
        _dirty = true;
        var exhausted = _scheduler.Fail(range, reason, Now);
        LogAttemptFailed(RunId, stage, range.First, range.Failures, reason);
        if (exhausted)
        {
            await FinishAsync(
                RunState.Failed,
                $"range {stage} [{range.First}, {range.First + range.Count}) failed {range.Failures} times; last error: {reason}");
            return;
        }

        await PumpAsync();
        await PersistAsync(force: false);
    }

    /// <summary>Marks ranges whose shard is present as done (no report needed, nothing recomputed).</summary>
    private void Reconcile(StageState stage)
    {
        if (stage.ChildRunId is not null)
        {
            return;
        }

        foreach (var range in stage.Ranges.Where(r => r.Status != RangeStatus.Done && IsPresent(stage.Name, r)))
        {
            RangeScheduler.MarkDone(range);
            _dirty = true;
        }
    }

    /// <summary>Moves on while the current stage is complete.</summary>
    private async Task AdvanceWhileCompleteAsync()
    {
        while (IsUnfinished && Current is { } stage && RangeScheduler.IsComplete(stage))
        {
            if (stage.FinishedAt is null)
            {
                stage.FinishedAt = Now;
                FaceClusterTelemetry.EmitSpan(
                    "stage",
                    RunId,
                    stage.StartedAt,
                    stage.FinishedAt.Value,
                    [new("facecluster.stage", stage.Name), new("facecluster.units", stage.TotalUnits), new("facecluster.ranges", stage.Ranges.Count)]);
            }

            _child = null;
            await PlanNextAsync(stage.Name);
            await PersistAsync(force: true);
        }
    }

    /// <summary>Asks the kind for the stage after <paramref name="completed"/> and schedules it, or finishes the run.</summary>
    private async Task PlanNextAsync(string? completed)
    {
        StagePlan? plan;
        try
        {
            plan = await Kind.NextStageAsync(Planning(completed), CancellationToken.None);
        }
        catch (InvalidInputException e)
        {
            await FinishAsync(RunState.Failed, e.Message, badInput: true);
            return;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            await FinishAsync(RunState.Failed, completed is null ? e.Message : $"after stage {completed}: {e.Message}");
            return;
        }

        if (plan is null)
        {
            await FinishAsync(RunState.Completed, null);
            LogCompleted(RunId);
            return;
        }

        if (plan.Ranges.Count > RangeScheduler.MaxRangesPerStage)
        {
            await FinishAsync(
                RunState.Failed,
                $"stage {plan.Name} would be cut into {plan.Ranges.Count} ranges, more than the {RangeScheduler.MaxRangesPerStage} a stage may have: raise the range size");
            return;
        }

        AddStage(plan);
        if (Current!.ChildRunId is not null)
        {
            // Start the child now rather than at the next tick.
            await FollowChildAsync(Current);
        }
    }

    private RunPlanning Planning(string? completed) => new(Files, Run.Request!, completed, StageReports(), ClusterSlots(), _options);

    /// <summary>Schedules a planned stage with its ranges, fixed from now on (persisted, reassignable as they are).</summary>
    private void AddStage(StagePlan plan)
    {
        var stage = new StageState
        {
            Name = plan.Name,
            TotalUnits = plan.Units,
            RangeSize = plan.Ranges.Count == 0 ? 0 : plan.Ranges.Max(r => r.Count),
            StartedAt = Now,
            Placement = plan.Placement,
            RangeTimeoutSeconds = plan.RangeTimeout?.TotalSeconds ?? 0,
            Skipped = plan.Skipped,
        };
        if (plan.Child is not null)
        {
            stage.ChildRunId = RunPaths.ChildRunId(RunId, plan.Name);
            stage.ChildRequest = plan.Child with { Parent = RunId };
        }

        foreach (var (first, count) in plan.Ranges)
        {
            stage.Ranges.Add(new RangeState { First = first, Count = count });
        }

        Run.State = plan.Name == "aggregate" ? RunState.Aggregating : RunState.Running;
        Run.Stages.Add(stage);
        _dirty = true;
        Reconcile(stage);
    }

    /// <summary>Worker slots of the active silos now (learned from their answers, else this silo's setting).</summary>
    private int ClusterSlots()
    {
        var slots = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Sum(m => _slots.TryGetValue(m.SiloAddress, out var known) ? known : _options.EffectiveWorkerSlots);
        return Math.Max(1, slots);
    }

    private async Task FinishAsync(RunState final, string? error, bool badInput = false)
    {
        Run.BadInput = badInput;
        Run.State = final;
        Run.Error = error is null ? null : InvalidInputException.OneLine(error);
        Run.FinishedAt = Now;
        _dirty = true;
        StopTimer();
        RecordFinished(final);
        if (final == RunState.Failed)
        {
            LogFailed(RunId, error);
        }

        try
        {
            await Kind.OnFinishedAsync(Planning(Current?.Name), final, Run.Error, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidInputException)
        {
            LogPersistFailed(RunId, e.Message);
        }

        try
        {
            await Files.WriteFinishedAsync(new RunFinishRecord(final, Run.Error, Run.SubmittedAt, Run.FinishedAt.Value, badInput), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPersistFailed(RunId, e.Message);
        }

        await PersistAsync(force: true);
        if (Run.Request?.Parent is { } parent)
        {
            // Not awaited: the parent asks this grain for its status while it wakes.
            GrainFactory.GetGrain<IRunCoordinatorGrain>(parent).Wake().AsTask().Ignore();
        }

        try
        {
            await GrainFactory.GetGrain<IRunRegistryGrain>(0).MarkFinished(RunId);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The registry learns it at its next wake-up.
            LogPersistFailed(RunId, e.Message);
        }
    }

    private void RecordFinished(RunState final)
    {
        var kind = Run.Request?.Kind;
        var finished = Run.FinishedAt ?? Now;
        FaceClusterTelemetry.RunDuration.Record(
            (finished - Run.SubmittedAt).TotalSeconds,
            new KeyValuePair<string, object?>("facecluster.kind", kind),
            new KeyValuePair<string, object?>("facecluster.state", final.ToString().ToLowerInvariant()));
        FaceClusterTelemetry.EmitSpan(
            "run",
            RunId,
            Run.SubmittedAt,
            finished,
            [new("facecluster.kind", kind), new("facecluster.state", final.ToString().ToLowerInvariant()), new("facecluster.stages", Run.Stages.Count)],
            error: final == RunState.Failed);
    }

    private async Task PersistAsync(bool force)
    {
        if (!_dirty || (!force && Now - _lastPersist < PersistEvery))
        {
            return;
        }

        try
        {
            await state.WriteStateAsync();
            _dirty = false;
            _lastPersist = Now;
        }
        catch (InconsistentStateException e)
        {
            // Someone else wrote this run's state: reload it in a fresh activation.
            LogPersistFailed(RunId, e.Message);
            DeactivateOnIdle();
        }
    }

    /// <summary>Units done and in all of a stage: its ranges', or what its one running range or child run reports.</summary>
    private (long Done, long Total, string? Detail) Progress(StageState stage)
    {
        var done = stage.Ranges.Where(r => r.Status == RangeStatus.Done).Sum(r => (long)r.Count);
        if (stage.FinishedAt is not null || !IsUnfinished || stage != Current)
        {
            return (done, stage.TotalUnits, stage.Skipped);
        }

        if (stage.ChildRunId is not null && _child is { } child)
        {
            return (child.CompletedUnits, child.TotalUnits, child.Detail is null ? child.Stage : $"{child.Stage}: {child.Detail}");
        }

        if (stage.Ranges.Count == 1 && _progress.TryGetValue((stage.Name, stage.Ranges[0].First), out var inside) && inside.Total > 0)
        {
            return (inside.Done, inside.Total, inside.Detail);
        }

        var detail = _progress.Count > 0 ? _progress.Where(p => p.Key.Stage == stage.Name).Select(p => p.Value.Detail).LastOrDefault(d => d is not null) : null;
        return (done, stage.TotalUnits, detail);
    }

    private RunStatus Status()
    {
        if (Run.Request is null)
        {
            return new RunStatus(RunId, RunState.Pending, string.Empty, 0, 0, default, null, null, NoRun, string.Empty);
        }

        var stage = Current;
        var (done, total, detail) = stage is null ? (0, 0, null) : Progress(stage);
        double? eta = null;
        if (IsUnfinished && stage is not null && done > 0 && done < total)
        {
            var elapsed = (Now - stage.StartedAt).TotalSeconds;
            eta = Math.Round(elapsed / done * (total - done), 1);
        }

        var stages = Run.Stages.Select(s =>
        {
            var (d, t, why) = Progress(s);
            var seconds = ((s.FinishedAt ?? (IsUnfinished ? Now : Run.FinishedAt ?? Now)) - s.StartedAt).TotalSeconds;
            var stageState = s.Skipped is not null ? "skipped" : s.FinishedAt is not null ? "done" : IsUnfinished ? "running" : "stopped";
            return new StageProgress(s.Name, stageState, d, t, Math.Round(seconds, 3), why);
        }).ToList();
        return new RunStatus(
            RunId, Run.State, stage?.Name ?? string.Empty, done, total, Run.SubmittedAt, Run.FinishedAt, eta, Run.Error, Run.Request.OutputPath,
            Run.Request.Kind, detail, stages, Run.Request.Submitter, Run.State == RunState.Failed && Run.BadInput);
    }

    private List<StageReport> StageReports() => Run.Stages.Select(s => new StageReport(
        s.Name,
        s.TotalUnits,
        s.Ranges.Where(r => r.Status == RangeStatus.Done).Sum(r => (long)r.Count),
        s.RangeSize,
        s.StartedAt,
        s.FinishedAt,
        s.Ranges.Select(r => new RangeReport(
            r.First, r.Count, r.Status.ToString().ToLowerInvariant(), r.Attempts, r.Failures, r.Reassignments, r.Completions, r.CompletedOn ?? r.Silo, r.LastError)).ToList(),
        s.ChildRunId)).ToList();

    private RunReport Report() => new(Status(), Run.Request, StageReports(), Run.DuplicateReports);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} failed ({Error}) and is resumed: finished ranges are kept")]
    private partial void LogResumingFailed(string runId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} ({Kind}) had no state in grain storage but an unfinished run folder: recovered from the data root")]
    private partial void LogRecovered(string runId, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: started ({Kind})")]
    private partial void LogStarted(string runId, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: resuming from persisted state {State}, stage {Stage}")]
    private partial void LogResuming(string runId, RunState state, string? stage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: completed")]
    private partial void LogCompleted(string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: cancelled")]
    private partial void LogCancelled(string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: failed: {Error}")]
    private partial void LogFailed(string runId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: range {Stage} {First} failed (attempt failure {Failures}): {Reason}")]
    private partial void LogAttemptFailed(string runId, string stage, int first, int failures, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: silo {Silo} of range {Stage} {First} died; reassigning")]
    private partial void LogReassigning(string runId, string stage, int first, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: range {Stage} {First} not accepted by {Silo}: {Reason}")]
    private partial void LogDispatchFailed(string runId, string stage, int first, string silo, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: could not persist or report: {Reason}")]
    private partial void LogPersistFailed(string runId, string reason);
}
