namespace FaceCluster.Grains;

/// <summary>A silo the scheduler may give ranges to.</summary>
/// <param name="Silo">Its address (<c>SiloAddress.ToParsableString</c>).</param>
/// <param name="Capacity">Ranges it may hold at once (its worker slots plus what it may queue).</param>
/// <param name="Gpu">Whether its role is gpu.</param>
public sealed record SiloCapacity(string Silo, int Capacity, bool Gpu);

/// <summary>What reviewing a stage's running ranges found.</summary>
/// <param name="Completed">Ranges whose shard appeared without a report (now done).</param>
/// <param name="Reassigned">Ranges whose silo died (now pending again).</param>
/// <param name="TimedOut">Ranges whose attempt took too long (to be failed with <see cref="RangeScheduler.Fail"/>).</param>
/// <param name="Poison">Ranges whose silos died under them <see cref="RangeScheduler.MaxSiloLosses"/> times: taken to kill
/// the silo that runs them, they fail their run rather than take down every silo in turn.</param>
public sealed record StageReview(
    IReadOnlyList<RangeState> Completed,
    IReadOnlyList<RangeState> Reassigned,
    IReadOnlyList<RangeState> TimedOut,
    IReadOnlyList<RangeState> Poison);

/// <summary>
/// The scheduling rules of a stage's ranges, free of Orleans: which pending range goes to which silo, what a dead silo,
/// a timed-out attempt or a failure does to a range, and when a range has failed too often. The coordinator grain keeps
/// the state and sends the messages; this class decides.
/// </summary>
/// <param name="maxFailures">Failed or timed-out attempts after which the run fails.</param>
/// <param name="rangeTimeout">How long an attempt may run before it counts as failed.</param>
/// <param name="maxSiloLosses">Attempts of one range lost to silo deaths after which the run fails.</param>
public sealed class RangeScheduler(int maxFailures, TimeSpan rangeTimeout, int maxSiloLosses = 3)
{
    /// <summary>Most ranges a stage may be cut into: each is state the coordinator keeps, persists and schedules.</summary>
    public const int MaxRangesPerStage = 20_000;

    /// <summary>Failed or timed-out attempts after which the run fails.</summary>
    public int MaxFailures { get; } = maxFailures >= 1 ? maxFailures : throw new ArgumentOutOfRangeException(nameof(maxFailures));

    /// <summary>Attempts of one range lost to silo deaths after which the run fails (poison).</summary>
    public int MaxSiloLosses { get; } = maxSiloLosses >= 1 ? maxSiloLosses : throw new ArgumentOutOfRangeException(nameof(maxSiloLosses));

    /// <summary>
    /// Looks at every running range of <paramref name="stage"/>: a present shard is a finished range, a dead silo's range
    /// goes back to pending, an attempt older than the timeout is reported as timed out.
    /// </summary>
    /// <param name="stage">The stage.</param>
    /// <param name="shardPresent">Whether a range's shard is written.</param>
    /// <param name="siloAlive">Whether a silo is still a member (not dead, not gone).</param>
    /// <param name="now">The time.</param>
    public StageReview Review(StageState stage, Func<RangeState, bool> shardPresent, Func<string, bool> siloAlive, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(shardPresent);
        ArgumentNullException.ThrowIfNull(siloAlive);
        List<RangeState> completed = [], reassigned = [], timedOut = [], poison = [];
        var timeout = stage.RangeTimeoutSeconds is > 0 and var seconds ? TimeSpan.FromSeconds(seconds) : rangeTimeout;
        foreach (var range in stage.Ranges.Where(r => r.Status == RangeStatus.Running))
        {
            if (shardPresent(range))
            {
                MarkDone(range);
                completed.Add(range);
            }
            else if (range.Silo is not null && !siloAlive(range.Silo))
            {
                range.SiloLosses++;
                Abandon(range);
                (range.SiloLosses >= MaxSiloLosses ? poison : reassigned).Add(range);
            }
            else if (range.AssignedAt is { } assigned && now - assigned > timeout)
            {
                timedOut.Add(range);
            }
        }

        return new StageReview(completed, reassigned, timedOut, poison);
    }

    /// <summary>
    /// Assigns pending ranges, in order, to silos with room: for a stage placed on gpu silos, only those when the cluster
    /// has one; a range that failed goes elsewhere when it can; then the silo with the most room. Marks each assigned
    /// range running (a new attempt) and returns the assignments.
    /// </summary>
    public static IReadOnlyList<(RangeState Range, string Silo)> Assign(StageState stage, IReadOnlyList<SiloCapacity> silos, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(stage);
        ArgumentNullException.ThrowIfNull(silos);
        var eligible = stage.Placement == StagePlacement.PreferGpu && silos.Any(s => s.Gpu) ? silos.Where(s => s.Gpu).ToList() : silos.ToList();
        var room = eligible.ToDictionary(
            s => s.Silo,
            s => s.Capacity - stage.Ranges.Count(r => r.Status == RangeStatus.Running && r.Silo == s.Silo),
            StringComparer.Ordinal);
        var assignments = new List<(RangeState, string)>();
        foreach (var range in stage.Ranges.Where(r => r.Status == RangeStatus.Pending && !(r.NotBefore > now)))
        {
            var failedOn = range.Failures > 0 ? range.Silo : null;
            var silo = room
                .Where(s => s.Value > 0)
                .OrderBy(s => s.Key == failedOn ? 1 : 0)
                .ThenByDescending(s => s.Value)
                .ThenBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => s.Key)
                .FirstOrDefault();
            if (silo is null)
            {
                break;
            }

            room[silo]--;
            range.Status = RangeStatus.Running;
            range.Attempts++;
            range.Silo = silo;
            range.AssignedAt = now;
            assignments.Add((range, silo));
        }

        return assignments;
    }

    /// <summary>Marks <paramref name="range"/> done (its shard is written).</summary>
    public static void MarkDone(RangeState range)
    {
        ArgumentNullException.ThrowIfNull(range);
        range.Status = RangeStatus.Done;
        range.Completions++;
        range.CompletedOn = range.Silo;
        range.AssignedAt = null;
    }

    /// <summary>Gives up the current attempt without counting a failure (its silo died or did not take it).</summary>
    public static void Abandon(RangeState range)
    {
        ArgumentNullException.ThrowIfNull(range);
        range.Status = RangeStatus.Pending;
        range.Reassignments++;
        range.AssignedAt = null;
    }

    /// <summary>
    /// Counts a failed attempt and puts the range back, to be tried again after a backoff (1 s, 4 s, 16 s, ... at most
    /// a minute); returns whether it has now failed too often.
    /// </summary>
    public bool Fail(RangeState range, string reason, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(range);
        range.Failures++;
        range.LastError = reason;
        range.Status = RangeStatus.Pending;
        range.AssignedAt = null;
        range.NotBefore = now + Backoff(range.Failures);
        return range.Failures >= MaxFailures;
    }

    /// <summary>The wait before the attempt after the <paramref name="failures"/>-th failure.</summary>
    public static TimeSpan Backoff(int failures) => TimeSpan.FromSeconds(Math.Min(60, Math.Pow(4, Math.Max(0, failures - 1))));

    /// <summary>Gives a failed run's ranges a fresh start: their failures and silo losses are forgotten, every unfinished one pending.</summary>
    public static void ResetForResume(StageState stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        foreach (var range in stage.Ranges.Where(r => r.Status != RangeStatus.Done))
        {
            range.Status = RangeStatus.Pending;
            range.Failures = 0;
            range.SiloLosses = 0;
            range.NotBefore = null;
            range.AssignedAt = null;
        }
    }

    /// <summary>Whether every range of <paramref name="stage"/> is done (a stage without ranges is).</summary>
    public static bool IsComplete(StageState stage) => stage.Ranges.TrueForAll(r => r.Status == RangeStatus.Done);
}
