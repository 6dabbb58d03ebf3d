using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Tables;

namespace FaceCluster.Learning.Grains;

/// <summary>
/// <c>run.json</c> of a pipeline's output folder: what ran, on what, with which settings, how long each stage took and how
/// it ended. A later pipeline run into the same folder reads it to skip the stages whose inputs and parameters are
/// unchanged (same <see cref="PipelineStageRecord.Fingerprint"/>, completed, output present).
/// </summary>
public sealed class PipelineRecord
{
    /// <summary>The file name.</summary>
    public const string FileName = "run.json";

    /// <summary>The format of this file.</summary>
    public int Format { get; set; } = 1;

    /// <summary>The pipeline's run id.</summary>
    public string RunId { get; set; } = string.Empty;

    /// <summary><c>running</c>, <c>completed</c>, <c>failed</c> or <c>cancelled</c>.</summary>
    public string State { get; set; } = "running";

    /// <summary>Why it failed.</summary>
    public string? Error { get; set; }

    /// <summary>The study as the user named it.</summary>
    public string Study { get; set; } = string.Empty;

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Worker slots of the cluster when the run started.</summary>
    public int ClusterSlots { get; set; }

    /// <summary>FaceCluster, .NET and library versions.</summary>
    public JsonObject? Versions { get; set; }

    /// <summary>The pipeline's parameters as submitted.</summary>
    public JsonNode? Parameters { get; set; }

    /// <summary>The seeds of every random stream.</summary>
    public Dictionary<string, ulong> Seeds { get; set; } = [];

    /// <summary>The SHA-256 of each input file, by role.</summary>
    public Dictionary<string, string> Inputs { get; set; } = [];

    /// <summary>The stages, in order.</summary>
    public List<PipelineStageRecord> Stages { get; set; } = [];

    /// <summary>Reads <paramref name="path"/>, or null when it is absent or unreadable (then nothing is skipped).</summary>
    public static PipelineRecord? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<PipelineRecord>(File.ReadAllText(path), AtomicFile.JsonOptions) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the record atomically.</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken) => AtomicFile.WriteJsonAsync(path, this, cancellationToken);
}

/// <summary>One stage of a pipeline in <c>run.json</c>.</summary>
public sealed class PipelineStageRecord
{
    /// <summary>The stage (also the kind of its run).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The id of the stage's run; for a skipped stage, the run that computed its outputs.</summary>
    public string? RunId { get; set; }

    /// <summary>Its output folder, relative to the data root.</summary>
    public string Output { get; set; } = string.Empty;

    /// <summary>A SHA-256 over the stage's kind, parameters and the fingerprints of its inputs.</summary>
    public string Fingerprint { get; set; } = string.Empty;

    /// <summary><c>pending</c>, <c>running</c>, <c>completed</c>, <c>skipped</c> or <c>failed</c>.</summary>
    public string Outcome { get; set; } = "pending";

    /// <summary>When it started.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Its wall time in seconds.</summary>
    public double? Seconds { get; set; }

    /// <summary>The parameters of the stage's run.</summary>
    public JsonNode? Parameters { get; set; }
}
