using System.Text.Json.Nodes;
using FaceCluster.Tables;

namespace FaceCluster.Reports;

/// <summary>
/// Where a report's inputs are: the output folder of a pipeline (<c>run.json</c> with <c>ppca/</c>, <c>gppca/</c>,
/// <c>crops/</c>, <c>model/</c>, <c>derived/</c>) or of a PPCA alone (its <c>summary.json</c>); each part is null when
/// it is not there, and the report leaves its sections out and says so.
/// </summary>
public sealed record ReportInputs
{
    /// <summary>The run's output folder (the report, <c>figures/</c> and <c>tsne.parquet</c> are written into it).</summary>
    public required string Folder { get; init; }

    /// <summary>The PPCA's output folder (always there: a report needs it).</summary>
    public required string Ppca { get; init; }

    /// <summary>The pipeline's <c>run.json</c>, or null for a PPCA folder alone.</summary>
    public string? PipelineRecord { get; init; }

    /// <summary>The G-PPCA's output folder, or null.</summary>
    public string? Gppca { get; init; }

    /// <summary>The crop set's folder, or null.</summary>
    public string? Crops { get; init; }

    /// <summary>The trained model's folder, or null.</summary>
    public string? Model { get; init; }

    /// <summary>The dimension morphs' folder (<c>morphs/</c> with its <c>grid.png</c>), or null.</summary>
    public string? Morphs { get; init; }

    /// <summary>The synthetic study's <c>truth.json</c>, or null (a real study has none).</summary>
    public string? Truth { get; init; }

    /// <summary>
    /// Finds the inputs under <paramref name="folder"/>. The truth of a synthetic study is <paramref name="truth"/> when
    /// given, else the <c>truth.json</c> of the study the pipeline ran on (the path its user named, or its path under
    /// <paramref name="dataRoot"/> or the folder).
    /// </summary>
    /// <exception cref="InvalidInputException">The folder is missing, or holds neither a pipeline's outputs with a finished PPCA nor a PPCA's.</exception>
    public static ReportInputs Locate(string folder, string? truth = null, string? dataRoot = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new InvalidInputException($"{folder}: no such folder");
        }

        if (truth is not null && !File.Exists(truth))
        {
            throw new InvalidInputException($"{truth}: no such file (--truth)");
        }

        var record = Path.Combine(folder, "run.json");
        if (!File.Exists(record))
        {
            if (!IsPpcaFolder(folder))
            {
                throw new InvalidInputException(
                    $"{folder}: neither a pipeline's output folder (run.json) nor a PPCA's (summary.json of `analyze ppca`)");
            }

            return new ReportInputs { Folder = folder, Ppca = folder, Truth = truth };
        }

        var ppca = Path.Combine(folder, "ppca");
        if (!IsPpcaFolder(ppca))
        {
            throw new InvalidInputException($"{folder}: the pipeline has not finished its ppca stage ({Path.Combine("ppca", "summary.json")} is missing)");
        }

        string? Part(string name, string marker) => File.Exists(Path.Combine(folder, name, marker)) ? Path.Combine(folder, name) : null;
        return new ReportInputs
        {
            Folder = folder,
            Ppca = ppca,
            PipelineRecord = record,
            Gppca = Part("gppca", "summary.json"),
            Crops = Part("crops", "crops.json"),
            Model = Part("model", "model.json"),
            Morphs = Part("morphs", "grid.png"),
            Truth = truth ?? StudyTruth(record, folder, dataRoot),
        };
    }

    private static bool IsPpcaFolder(string folder)
    {
        var summary = Path.Combine(folder, "summary.json");
        if (!File.Exists(summary))
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(summary))?["analysis"]?.GetValue<string>() == "ppca";
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new InvalidInputException($"{summary}: not a PPCA summary ({e.Message})");
        }
    }

    /// <summary>The study's truth.json, looked for where the pipeline's study was: as its user named it, under the data root, under the run folder.</summary>
    private static string? StudyTruth(string record, string folder, string? dataRoot)
    {
        JsonNode? run;
        try
        {
            run = JsonNode.Parse(File.ReadAllText(record));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidInputException($"{record}: damaged ({e.Message})");
        }

        var named = run?["study"]?.GetValue<string>();
        var relative = run?["parameters"]?["study"]?.GetValue<string>();
        var candidates = new List<string>();
        if (named is { Length: > 0 } && Path.IsPathRooted(named))
        {
            candidates.Add(named);
        }

        if (relative is { Length: > 0 } && !Path.IsPathRooted(relative))
        {
            if (dataRoot is not null)
            {
                candidates.Add(Path.Combine(dataRoot, relative));
            }

            candidates.Add(Path.Combine(folder, relative));
        }

        return candidates.Select(c => Path.Combine(c, "truth.json")).FirstOrDefault(File.Exists);
    }
}
