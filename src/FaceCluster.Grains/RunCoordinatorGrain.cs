using System.Globalization;
using System.Text.Json.Nodes;
using FaceCluster.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;
using Orleans.Storage;

namespace FaceCluster.Grains;

/// <summary>
/// One per run (key: run id). A persisted state machine, Pending, then Running through the stages of
/// <see cref="RunStages"/>, then Aggregating, then Completed, Failed or Cancelled. Each stage is cut into contiguous
/// ranges that are handed to <see cref="IAnalysisWorkerGrain"/>s on the active silos (through each silo's
/// <see cref="ISiloWorkGateway"/>, placed there by a placement hint);
/// workers compute in the background and report back. A grain timer (which keeps the activation alive while the run is
/// unfinished) notices dead silos, timed-out ranges and shards written without a report, and persists progress. Every
/// call returns within <see cref="FaceClusterClusterOptions.DispatchTimeout"/> or so.
/// </summary>
/// <remarks>
/// A present shard is a finished range: on activation (after a deactivation, or on another silo after this one died)
/// the coordinator marks every range whose shard exists as done and schedules only the others.
/// </remarks>
public sealed partial class RunCoordinatorGrain(
    [PersistentState("run", FaceClusterStorage.Name)] IPersistentState<RunCoordinatorState> state,
    IOptions<FaceClusterClusterOptions> options,
    IClusterMembershipService membership,
    ILogger<RunCoordinatorGrain> logger) : Grain, IRunCoordinatorGrain
{
    private static readonly TimeSpan PersistEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan UnresponsivePause = TimeSpan.FromSeconds(5);

    /// <summary>Folds the fast leave-one-out computes together: guided fold ranges are whole batches of them.</summary>
    private const int FoldBatch = 8;

    private readonly FaceClusterClusterOptions _options = options.Value;
    private readonly Dictionary<SiloAddress, int> _slots = [];
    private readonly Dictionary<SiloAddress, DateTimeOffset> _unresponsiveUntil = [];
    private IGrainTimer? _timer;
    private RunFiles? _files;
    private bool _dirty;
    private DateTimeOffset _lastPersist;

    private RunCoordinatorState Run => state.State;

    private string RunId => this.GetPrimaryKeyString();

    private RunFiles Files => _files ??= new(_options.DataRoot, RunId);

    private bool IsUnfinished => Run.Request is not null && Run.State is RunState.Pending or RunState.Running or RunState.Aggregating;

    private StageState? Current => Run.Stages.Count > 0 ? Run.Stages[^1] : null;

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!IsUnfinished)
        {
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

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
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

            // A retried Start (for example after a timeout) also retries the registration.
            await GrainFactory.GetGrain<IRunRegistryGrain>(0).Register(RunId);
            return Status();
        }

        var errors = Validate(request);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Run {RunId} refused: {string.Join("; ", errors)}.", nameof(request));
        }

        await Files.WriteRequestAsync(request, CancellationToken.None);
        Run.RunId = RunId;
        Run.Request = request;
        Run.SubmittedAt = Now;
        Run.State = RunState.Running;
        AddStage(request.Kind == AnalysisKind.Gppca ? RunStages.Gppca : RunStages.Prepare, 1, RangeSchedule.Fixed(1, 1));
        await PersistAsync(force: true);
        await GrainFactory.GetGrain<IRunRegistryGrain>(0).Register(RunId);
        LogStarted(RunId, request.Kind);
        StartTimer();
        await PumpAsync();
        return Status();
    }

    /// <inheritdoc />
    public ValueTask<RunStatus> GetStatus() => ValueTask.FromResult(Status());

    /// <inheritdoc />
    public ValueTask<RunReport> GetReport() => ValueTask.FromResult(Report());

    /// <inheritdoc />
    public async ValueTask<RunStatus> Wake()
    {
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

        if (!Files.IsPresent(Run.Request!, range.Stage, target.First, target.Count))
        {
            await FailAttemptAsync(target, range.Stage, $"reported complete, but its shard {Files.ShardOf(Run.Request!, range.Stage, target.First, target.Count)} is missing");
            return;
        }

        MarkDone(target);
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
        await FinishAsync(RunState.Failed, reason);
    }

    private List<string> Validate(RunRequest request)
    {
        var errors = new List<string>();
        if (!RunPaths.IsValidRunId(RunId))
        {
            errors.Add($"'{RunId}' is not a valid run id (1-128 letters, digits, '.', '_' or '-')");
            return errors;
        }

        void CheckInput(string name, string? path)
        {
            if (path is null)
            {
                errors.Add($"{name} is required");
                return;
            }

            try
            {
                if (!File.Exists(DataRootPaths.Resolve(_options.DataRoot, path)))
                {
                    errors.Add($"{name} '{path}' does not exist under the data root");
                }
            }
            catch (ArgumentException e)
            {
                errors.Add($"{name}: {e.Message}");
            }
        }

        if (request.Kind == AnalysisKind.Crop)
        {
            return ValidateCrop(request);
        }

        if (request.Kind == AnalysisKind.Ppca)
        {
            CheckInput("the X table", request.XPath);
            var analysis = StageWork.OptionsOf(request).Validate();
            errors.AddRange(analysis);
            if (request.LeaveOneOut is not ("fast" or "naive"))
            {
                errors.Add($"leave-one-out must be 'fast' or 'naive', got '{request.LeaveOneOut}'");
            }
        }
        else if (request.Kind != AnalysisKind.Gppca)
        {
            errors.Add($"unknown analysis kind {request.Kind}");
        }

        CheckInput(request.Kind == AnalysisKind.Gppca ? "the judgments table" : "the Y table", request.YPath);
        try
        {
            if (Directory.Exists(DataRootPaths.Resolve(_options.DataRoot, request.OutputPath)))
            {
                errors.Add($"the output folder '{request.OutputPath}' already exists");
            }
        }
        catch (ArgumentException e)
        {
            errors.Add($"the output folder: {e.Message}");
        }

        if (request.RangeSize < 0)
        {
            errors.Add($"the range size must be 0 (automatic) or more, got {request.RangeSize}");
        }

        if (request.Threads < 0)
        {
            errors.Add($"threads must be 0 (all cores) or more, got {request.Threads}");
        }

        return errors;
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
        var snapshot = membership.CurrentSnapshot;
        foreach (var range in stage.Ranges.Where(r => r.Status == RangeStatus.Running).ToArray())
        {
            if (Files.IsPresent(Run.Request!, stage.Name, range.First, range.Count))
            {
                // Written, but its report was lost (or is on its way): the shard is what counts.
                MarkDone(range);
                continue;
            }

            var silo = range.Silo is null ? null : SiloAddress.FromParsableString(range.Silo);
            if (silo is not null && snapshot.GetSiloStatus(silo) is SiloStatus.Dead or SiloStatus.None)
            {
                LogReassigning(RunId, stage.Name, range.First, range.Silo!);
                range.Status = RangeStatus.Pending;
                range.Reassignments++;
                _dirty = true;
            }
            else if (range.AssignedAt is { } assigned && Now - assigned > _options.RangeTimeout)
            {
                await FailAttemptAsync(range, stage.Name, $"timed out after {_options.RangeTimeout} on {range.Silo}");
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

    /// <summary>Assigns pending ranges of the current stage to silos with room, and sends them.</summary>
    private async Task PumpAsync()
    {
        for (var round = 0; round < 3 && IsUnfinished; round++)
        {
            var stage = Current!;
            var pending = stage.Ranges.Where(r => r.Status == RangeStatus.Pending).ToList();
            if (pending.Count == 0)
            {
                return;
            }

            var now = Now;
            var silos = membership.CurrentSnapshot.Members.Values
                .Where(m => m.Status == SiloStatus.Active && !(_unresponsiveUntil.TryGetValue(m.SiloAddress, out var until) && until > now))
                .Select(m => m.SiloAddress)
                .ToList();
            if (silos.Count == 0)
            {
                return;
            }

            var running = silos.ToDictionary(s => s, s => stage.Ranges.Count(r => r.Status == RangeStatus.Running && r.Silo == s.ToParsableString()));
            var assignments = new List<(RangeState Range, SiloAddress Silo)>();
            foreach (var range in pending)
            {
                // A range that failed or timed out goes elsewhere if it can.
                var failedOn = range.Failures > 0 ? range.Silo : null;
                var silo = silos
                    .Select(s => (Silo: s, Room: Capacity(s) - running[s]))
                    .Where(s => s.Room > 0)
                    .OrderBy(s => s.Silo.ToParsableString() == failedOn ? 1 : 0)
                    .ThenByDescending(s => s.Room)
                    .Select(s => s.Silo)
                    .FirstOrDefault();
                if (silo is null)
                {
                    break;
                }

                running[silo]++;
                range.Status = RangeStatus.Running;
                range.Attempts++;
                range.Silo = silo.ToParsableString();
                range.AssignedAt = now;
                assignments.Add((range, silo));
            }

            if (assignments.Count == 0)
            {
                return;
            }

            _dirty = true;
            var learned = await DispatchAsync(stage, assignments);
            if (!learned)
            {
                return;
            }
        }
    }

    /// <summary>Sends assigned ranges to their silos; returns whether it learned a silo's slot count.</summary>
    private async Task<bool> DispatchAsync(StageState stage, List<(RangeState Range, SiloAddress Silo)> assignments)
    {
        var calls = new List<Task<RangeAccepted>>(assignments.Count);
        foreach (var (range, silo) in assignments)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
            try
            {
                var gateway = GrainFactory.GetGrain<ISiloWorkGateway>(silo.ToParsableString());
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
            else if (range.Status == RangeStatus.Running && range.Silo == silo.ToParsableString())
            {
                LogDispatchFailed(RunId, stage.Name, range.First, silo.ToParsableString(), call.Exception?.GetBaseException().Message ?? "no answer in time");
                _unresponsiveUntil[silo] = Now + UnresponsivePause;
                range.Status = RangeStatus.Pending;
                range.Reassignments++;
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

    private void CountDuplicate()
    {
        if (Run.Request is not null)
        {
            Run.DuplicateReports++;
            _dirty = true;
        }
    }

    private void MarkDone(RangeState range)
    {
        range.Status = RangeStatus.Done;
        range.Completions++;
        range.CompletedOn = range.Silo;
        range.AssignedAt = null;
        _dirty = true;
    }

    private async Task FailAttemptAsync(RangeState range, string stage, string reason)
    {
        range.Failures++;
        range.LastError = reason;
        range.Status = RangeStatus.Pending;
        _dirty = true;
        LogAttemptFailed(RunId, stage, range.First, range.Failures, reason);
        if (range.Failures >= _options.MaxRangeFailures)
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
        foreach (var range in stage.Ranges.Where(r => r.Status != RangeStatus.Done))
        {
            if (Files.IsPresent(Run.Request!, stage.Name, range.First, range.Count))
            {
                MarkDone(range);
            }
        }
    }

    /// <summary>Moves on while the current stage is complete.</summary>
    private async Task AdvanceWhileCompleteAsync()
    {
        while (IsUnfinished && Current is { } stage && stage.Ranges.TrueForAll(r => r.Status == RangeStatus.Done))
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

            var request = Run.Request!;
            try
            {
                switch (stage.Name)
                {
                    case RunStages.Prepare:
                        var shape = await StageWork.ReadJsonAsync<StageWork.PrepareResult>(Files.Prepare, CancellationToken.None);
                        Run.Stimuli = shape.Stimuli;
                        if (request.Kind == AnalysisKind.Crop)
                        {
                            // Shards are named by their fixed range, so that a rerun into the folder finds them.
                            AddStage(RunStages.Crop, shape.Stimuli, RangeSchedule.Fixed(shape.Stimuli, request.Crop!.ShardSize));
                            break;
                        }

                        AddStage(RunStages.LeaveOneOut, shape.Stimuli, FoldRanges(request, shape.Stimuli));
                        break;
                    case RunStages.LeaveOneOut:
                        AddStage(RunStages.Bootstrap, 1, RangeSchedule.Fixed(1, 1));
                        break;
                    case RunStages.Bootstrap:
                        var main = await StageWork.ReadJsonAsync<StageWork.MainResult>(Files.MainMarker, CancellationToken.None);
                        Run.SignificantDimensions = main.SignificantDimensions;
                        if (request.Replicates > 0 && main.SignificantDimensions > 0)
                        {
                            AddStage(RunStages.Replicates, request.Replicates, ReplicateRanges(request));
                        }
                        else
                        {
                            await StartAggregationAsync();
                        }

                        break;
                    case RunStages.Replicates or RunStages.Crop:
                        await StartAggregationAsync();
                        break;
                    default:
                        await FinishAsync(RunState.Completed, null);
                        LogCompleted(RunId);
                        return;
                }
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
            {
                await FinishAsync(RunState.Failed, $"after stage {stage.Name}: {e.Message}");
                return;
            }

            await PersistAsync(force: true);
        }
    }

    /// <summary>Schedules the next stage with its ranges, fixed from now on (persisted, reassignable as they are).</summary>
    private void AddStage(string name, int units, IReadOnlyList<(int First, int Count)> ranges)
    {
        var stage = new StageState { Name = name, TotalUnits = units, RangeSize = ranges.Count == 0 ? 0 : ranges.Max(r => r.Count), StartedAt = Now };
        foreach (var (first, count) in ranges)
        {
            stage.Ranges.Add(new RangeState { First = first, Count = count });
        }

        Run.Stages.Add(stage);
        _dirty = true;
        Reconcile(stage);
    }

    private async Task StartAggregationAsync()
    {
        Run.State = RunState.Aggregating;
        var timings = new JsonObject();
        foreach (var stage in Run.Stages.Where(s => s.FinishedAt is not null))
        {
            var key = stage.Name switch
            {
                RunStages.LeaveOneOut => "leave_one_out",
                RunStages.Replicates => "loading_significance",
                RunStages.Crop => "crop",
                _ => stage.Name,
            };
            timings[key] = Math.Round((stage.FinishedAt!.Value - stage.StartedAt).TotalSeconds, 3);
        }

        var ranges = Run.Stages.SelectMany(s => s.Ranges).ToList();
        var execution = new JsonObject
        {
            ["timings_seconds"] = timings,
            ["execution"] = new JsonObject
            {
                ["mode"] = "cluster",
                ["run_id"] = RunId,
                ["silos"] = ranges.Select(r => r.CompletedOn).Where(s => s is not null).Distinct().Count(),
                ["ranges"] = ranges.Count,
                ["range_schedule"] = Run.Request!.RangeSize > 0 ? "fixed" : "guided",
                ["range_size"] = new JsonObject
                {
                    ["leave_one_out"] = Run.Stages.Find(s => s.Name == RunStages.LeaveOneOut)?.RangeSize,
                    ["replicates"] = Run.Stages.Find(s => s.Name == RunStages.Replicates)?.RangeSize,
                },
                ["reassigned_attempts"] = ranges.Sum(r => r.Reassignments),
                ["failed_attempts"] = ranges.Sum(r => r.Failures),
            },
        };
        await AtomicFile.WriteJsonAsync(Files.Execution, execution);
        AddStage(RunStages.Aggregate, 1, RangeSchedule.Fixed(1, 1));
    }

    /// <summary>
    /// The request's fixed range size, or guided ranges in whole batches of the fast method's 8 folds, at most about a
    /// 32nd of the folds (so progress moves in steps of about 3% at the most).
    /// </summary>
    private IReadOnlyList<(int First, int Count)> FoldRanges(RunRequest request, int stimuli)
    {
        if (request.RangeSize > 0)
        {
            return RangeSchedule.Fixed(stimuli, request.RangeSize);
        }

        var largest = Math.Max(FoldBatch, ((stimuli + 31) / 32 + FoldBatch - 1) / FoldBatch * FoldBatch);
        return RangeSchedule.Guided(stimuli, ClusterSlots(), minimum: FoldBatch, granule: FoldBatch, maximum: largest);
    }

    /// <summary>The request's fixed range size, or guided ranges from at most <see cref="FaceClusterClusterOptions.MaxReplicatesPerRange"/> down to one replicate.</summary>
    private IReadOnlyList<(int First, int Count)> ReplicateRanges(RunRequest request) =>
        request.RangeSize > 0
            ? RangeSchedule.Fixed(request.Replicates, request.RangeSize)
            : RangeSchedule.Guided(request.Replicates, ClusterSlots(), maximum: _options.MaxReplicatesPerRange);

    /// <summary>Worker slots of the active silos now (learned from their answers, else this silo's setting).</summary>
    private int ClusterSlots()
    {
        var slots = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Sum(m => _slots.TryGetValue(m.SiloAddress, out var known) ? known : _options.EffectiveWorkerSlots);
        return Math.Max(1, slots);
    }

    private async Task FinishAsync(RunState final, string? error)
    {
        Run.State = final;
        Run.Error = error;
        Run.FinishedAt = Now;
        _dirty = true;
        StopTimer();
        RecordFinished(final);
        if (final == RunState.Failed)
        {
            LogFailed(RunId, error);
        }

        await PersistAsync(force: true);
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
        var kind = Run.Request?.Kind.ToString().ToLowerInvariant();
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

    private RunStatus Status()
    {
        if (Run.Request is null)
        {
            return new RunStatus(RunId, RunState.Pending, string.Empty, 0, 0, default, null, null, "no run with this id has been started", string.Empty);
        }

        var stage = Current;
        var total = stage?.TotalUnits ?? 0;
        var done = stage?.Ranges.Where(r => r.Status == RangeStatus.Done).Sum(r => (long)r.Count) ?? 0;
        double? eta = null;
        if (IsUnfinished && stage is not null && done > 0 && done < total)
        {
            var elapsed = (Now - stage.StartedAt).TotalSeconds;
            eta = Math.Round(elapsed / done * (total - done), 1);
        }

        return new RunStatus(RunId, Run.State, stage?.Name ?? string.Empty, done, total, Run.SubmittedAt, Run.FinishedAt, eta, Run.Error, Run.Request.OutputPath);
    }

    private RunReport Report() => new(
        Status(),
        Run.Request,
        Run.Stages.Select(s => new StageReport(
            s.Name,
            s.TotalUnits,
            s.Ranges.Where(r => r.Status == RangeStatus.Done).Sum(r => (long)r.Count),
            s.RangeSize,
            s.StartedAt,
            s.FinishedAt,
            s.Ranges.Select(r => new RangeReport(
                r.First, r.Count, r.Status.ToString().ToLowerInvariant(), r.Attempts, r.Failures, r.Reassignments, r.Completions, r.CompletedOn ?? r.Silo, r.LastError)).ToList())).ToList(),
        Run.DuplicateReports);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: started ({Kind})")]
    private partial void LogStarted(string runId, AnalysisKind kind);

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
