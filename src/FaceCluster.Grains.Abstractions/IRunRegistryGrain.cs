namespace FaceCluster.Grains;

/// <summary>The list of runs of the cluster, of every kind (single activation, key 0).</summary>
[Alias("FaceCluster.IRunRegistryGrain")]
public interface IRunRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records a run id.</summary>
    [Alias("Register")]
    ValueTask Register(string runId);

    /// <summary>All run ids, oldest first.</summary>
    [Alias("List")]
    ValueTask<IReadOnlyList<string>> List();

    /// <summary>Run ids not yet completed, failed or cancelled, oldest first.</summary>
    [Alias("ListUnfinished")]
    ValueTask<IReadOnlyList<string>> ListUnfinished();

    /// <summary>Records that a run completed, failed or was cancelled.</summary>
    [Alias("MarkFinished")]
    ValueTask MarkFinished(string runId);

    /// <summary>
    /// Wakes the coordinator of every unfinished run (so that one whose silo died resumes from its persisted state) and
    /// returns how many it woke. Every silo calls it periodically.
    /// </summary>
    [Alias("WakeUnfinished")]
    ValueTask<int> WakeUnfinished();
}
