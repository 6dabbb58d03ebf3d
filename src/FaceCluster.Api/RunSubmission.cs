using System.Text.Json.Serialization;
using FaceCluster.Grains;

namespace FaceCluster.Api;

/// <summary>The body of <c>POST /api/runs</c> (snake_case JSON). Paths are relative to the data root.</summary>
public sealed class RunSubmission
{
    /// <summary>"ppca" (default), "gppca" or "crop".</summary>
    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    /// <summary>PPCA: the DNN outputs table.</summary>
    [JsonPropertyName("x")]
    public string? X { get; set; }

    /// <summary>PPCA: the human judgments table.</summary>
    [JsonPropertyName("y")]
    public string? Y { get; set; }

    /// <summary>G-PPCA: the judgments table.</summary>
    [JsonPropertyName("judgments")]
    public string? Judgments { get; set; }

    /// <summary>Crop: the study folder.</summary>
    [JsonPropertyName("study")]
    public string? Study { get; set; }

    /// <summary>Crop: how to crop (every field optional; defaults as <c>facecluster crop</c>).</summary>
    [JsonPropertyName("crop")]
    public CropSubmission? Crop { get; set; }

    /// <summary>The output folder (must not exist; for crop runs, the crop folder, which a rerun resumes).</summary>
    [JsonPropertyName("out")]
    public string? Out { get; set; }

    /// <summary>Dimension-bootstrap resamples.</summary>
    [JsonPropertyName("bootstrap")]
    public int? Bootstrap { get; set; }

    /// <summary>Loading-significance replicates.</summary>
    [JsonPropertyName("replicates")]
    public int? Replicates { get; set; }

    /// <summary>Inner bootstrap per replicate.</summary>
    [JsonPropertyName("inner_bootstrap")]
    public int? InnerBootstrap { get; set; }

    /// <summary>Run seed.</summary>
    [JsonPropertyName("seed")]
    public ulong? Seed { get; set; }

    /// <summary>"fast" or "naive".</summary>
    [JsonPropertyName("loo")]
    public string? Loo { get; set; }

    /// <summary>Units per work range (0: chosen).</summary>
    [JsonPropertyName("range_size")]
    public int? RangeSize { get; set; }

    /// <summary>Threads of the one-unit stages (0: all cores).</summary>
    [JsonPropertyName("threads")]
    public int? Threads { get; set; }

    /// <summary>The run id (optional; generated when absent).</summary>
    [JsonPropertyName("run_id")]
    public string? RunId { get; set; }

    /// <summary>The request, with every path checked against <paramref name="dataRoot"/>.</summary>
    /// <exception cref="ArgumentException">Every problem, in one message.</exception>
    public RunRequest ToRequest(string dataRoot)
    {
        var problems = new List<string>();
        var kind = (Kind ?? "ppca").Trim().ToLowerInvariant() switch
        {
            "ppca" => AnalysisKind.Ppca,
            "gppca" => AnalysisKind.Gppca,
            "crop" => AnalysisKind.Crop,
            _ => (AnalysisKind?)null,
        };
        if (kind is null)
        {
            problems.Add($"kind must be ppca, gppca or crop, got '{Kind}'");
        }

        void CheckPath(string? path, string field)
        {
            try
            {
                DataRootGuard.Check(dataRoot, path, field);
            }
            catch (ArgumentException e)
            {
                problems.Add(e.Message);
            }
        }

        string? x = null;
        string y;
        CropSettings? crop = null;
        if (kind == AnalysisKind.Crop)
        {
            y = Study ?? string.Empty;
            CheckPath(y, "study");
            crop = (Crop ?? new CropSubmission()).ToSettings();
            problems.AddRange(crop.Validate().Select(p => "crop: " + p));
        }
        else if (kind == AnalysisKind.Gppca)
        {
            y = Judgments ?? Y ?? string.Empty;
            CheckPath(y, "judgments");
        }
        else
        {
            x = X;
            y = Y ?? string.Empty;
            CheckPath(x, "x");
            CheckPath(y, "y");
        }

        CheckPath(Out, "out");
        if (Bootstrap is < 1 || Replicates is < 0 || InnerBootstrap is < 1 || RangeSize is < 0 || Threads is < 0)
        {
            problems.Add("bootstrap and inner_bootstrap must be positive; replicates, range_size and threads not negative");
        }

        var loo = (Loo ?? "fast").Trim().ToLowerInvariant();
        if (loo is not ("fast" or "naive"))
        {
            problems.Add($"loo must be fast or naive, got '{Loo}'");
        }

        if (RunId is not null && !RunPaths.IsValidRunId(RunId))
        {
            problems.Add("run_id must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }

        return new RunRequest(
            kind!.Value,
            x,
            y,
            Out!,
            Bootstrap ?? 1000,
            Replicates ?? 1000,
            InnerBootstrap,
            Seed ?? 1,
            loo,
            RangeSize ?? 0,
            Threads ?? 0,
            Crop: crop);
    }
}

/// <summary>The <c>crop</c> object of a crop run's submission (snake_case JSON); absent fields take the defaults.</summary>
public sealed class CropSubmission
{
    private static readonly CropSettings Defaults = new();

    /// <summary>Images per shard.</summary>
    [JsonPropertyName("shard_size")]
    public int? ShardSize { get; set; }

    /// <summary>Margin in pixels of the crop.</summary>
    [JsonPropertyName("margin")]
    public int? Margin { get; set; }

    /// <summary>MTCNN's minimum face size.</summary>
    [JsonPropertyName("min_face_size")]
    public int? MinFaceSize { get; set; }

    /// <summary>"probable" or "largest".</summary>
    [JsonPropertyName("keep")]
    public string? Keep { get; set; }

    /// <summary>"prewhiten" or "fixed".</summary>
    [JsonPropertyName("normalization")]
    public string? Normalization { get; set; }

    /// <summary>Crop at the images table's box when no face is found.</summary>
    [JsonPropertyName("fallback_box")]
    public bool? FallbackBox { get; set; }

    /// <summary>Images detected together.</summary>
    [JsonPropertyName("batch_size")]
    public int? BatchSize { get; set; }

    /// <summary>"auto", "cpu" or "cuda[:N]".</summary>
    [JsonPropertyName("device")]
    public string? Device { get; set; }

    /// <summary>The settings, defaults filled in (not yet validated).</summary>
    public CropSettings ToSettings() => Defaults with
    {
        ShardSize = ShardSize ?? Defaults.ShardSize,
        Margin = Margin ?? Defaults.Margin,
        MinFaceSize = MinFaceSize ?? Defaults.MinFaceSize,
        Selection = Keep ?? Defaults.Selection,
        Normalization = Normalization ?? Defaults.Normalization,
        FallbackToTableBox = FallbackBox ?? Defaults.FallbackToTableBox,
        BatchSize = BatchSize ?? Defaults.BatchSize,
        Device = Device ?? Defaults.Device,
    };
}
