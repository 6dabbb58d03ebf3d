namespace FaceCluster.Grains;

/// <summary>The list of runs of the cluster, of every kind (single activation, key 0).</summary>
[Alias("FaceCluster.IRunRegistryGrain")]
public interface IRunRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Records a run id as unfinished and claims its output folder for it, atomically, until it finishes: returns null,
    /// or why the run may not have that folder (another unfinished run writes it, or inside it, or it is one of the data
    /// root's own folders). Registering the same run again is a no-op that returns null.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="outputPath">Its output folder, relative to the data root.</param>
    /// <param name="parent">The run whose stage it is (it may write inside its parent's folder), or null.</param>
    [Alias("Register")]
    ValueTask<string?> Register(string runId, string outputPath, string? parent);

    /// <summary>All run ids, oldest first.</summary>
    [Alias("List")]
    ValueTask<IReadOnlyList<string>> List();

    /// <summary>Run ids not yet completed, failed or cancelled, oldest first.</summary>
    [Alias("ListUnfinished")]
    ValueTask<IReadOnlyList<string>> ListUnfinished();

    /// <summary>Records that a run completed, failed or was cancelled, and releases its output folder.</summary>
    [Alias("MarkFinished")]
    ValueTask MarkFinished(string runId);

    /// <summary>
    /// Wakes the coordinator of every unfinished run (so that one whose silo died resumes from its persisted state) and
    /// returns how many it woke. Every silo calls it periodically.
    /// </summary>
    [Alias("WakeUnfinished")]
    ValueTask<int> WakeUnfinished();
}
