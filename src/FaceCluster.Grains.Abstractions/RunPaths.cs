namespace FaceCluster.Grains;

/// <summary>
/// Where a run keeps its files, relative to the cluster's data root (the folder every silo shares). Paths use '/'.
/// </summary>
public static class RunPaths
{
    /// <summary>The folder of all runs.</summary>
    public const string Runs = "runs";

    /// <summary>The folder of run <paramref name="runId"/>: <c>runs/{runId}</c>.</summary>
    public static string RunFolder(string runId) => $"{Runs}/{runId}";

    /// <summary>The request as accepted, written by the coordinator (<c>request.json</c>).</summary>
    public static string Request(string runId) => $"{RunFolder(runId)}/request.json";

    /// <summary>The shards of finished ranges (<c>shards/</c>).</summary>
    public static string Shards(string runId) => $"{RunFolder(runId)}/shards";

    /// <summary>Present once the run is cancelled: workers stop its ranges.</summary>
    public static string CancelledMarker(string runId) => $"{RunFolder(runId)}/cancelled";

    /// <summary>A conventional place for a client to stage the inputs of a run (<c>inputs/</c>).</summary>
    public static string Inputs(string runId) => $"{RunFolder(runId)}/inputs";

    /// <summary>A conventional output folder (<c>output/</c>).</summary>
    public static string Output(string runId) => $"{RunFolder(runId)}/output";

    /// <summary>The id of the child run that stage <paramref name="stage"/> of run <paramref name="runId"/> stands for.</summary>
    public static string ChildRunId(string runId, string stage) => $"{runId}.{stage}";

    /// <summary>
    /// Whether <paramref name="runId"/> can name a run: 1 to 128 letters, digits, '.', '_' or '-', starting with a
    /// letter or digit (it becomes a folder name).
    /// </summary>
    public static bool IsValidRunId(string? runId) =>
        runId is { Length: > 0 and <= 128 }
        && char.IsAsciiLetterOrDigit(runId[0])
        && runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
