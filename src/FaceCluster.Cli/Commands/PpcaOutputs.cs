using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>Writes a <see cref="PpcaResult"/> as the outputs of study-format.md ("Analysis outputs").</summary>
internal static class PpcaOutputs
{
    /// <summary>The files written, in order.</summary>
    public static readonly string[] Files = ["dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet", "summary.json"];

    /// <summary>Writes every output of <paramref name="result"/> into <paramref name="folder"/> (a staging folder).</summary>
    public static async Task WriteAsync(
        string folder,
        PpcaResult result,
        IReadOnlyList<string> seedIds,
        PpcaOptions options,
        JsonObject inputs,
        CancellationToken cancellationToken)
    {
        var dims = result.Dimensions;
        await ParquetTableWriter.WriteAsync(
            Path.Combine(folder, "dimensions.parquet"),
            [
                new ParquetColumn("dimension", dims.Select(d => d.Dimension).ToArray()),
                new ParquetColumn("eigenvalue", dims.Select(d => d.Eigenvalue).ToArray()),
                new ParquetColumn("r", dims.Select(d => d.R).ToArray()),
                new ParquetColumn("p", dims.Select(d => d.P).ToArray()),
                new ParquetColumn("q_bh", dims.Select(d => d.QBh).ToArray()),
                new ParquetColumn("sd", dims.Select(d => d.Sd).ToArray()),
                new ParquetColumn("snr", dims.Select(d => d.Snr).ToArray()),
                new ParquetColumn("bh", dims.Select(d => d.Bh).ToArray()),
                new ParquetColumn("forward_stop", dims.Select(d => d.ForwardStop).ToArray()),
                new ParquetColumn("snr_pass", dims.Select(d => d.SnrPass).ToArray()),
                new ParquetColumn("significant", dims.Select(d => d.Significant).ToArray()),
            ],
            cancellationToken).ConfigureAwait(false);

        var loadingColumns = new List<ParquetColumn> { new("attribute", result.Attributes.ToArray()) };
        for (var d = 0; d < result.Labels.Count; d++)
        {
            loadingColumns.Add(new ParquetColumn(result.Labels[d], result.Loadings.Column(d)));
        }

        await ParquetTableWriter.WriteAsync(Path.Combine(folder, "loadings.parquet"), loadingColumns, cancellationToken).ConfigureAwait(false);

        var rows = result.LoadingSignificance;
        await ParquetTableWriter.WriteAsync(
            Path.Combine(folder, "loading_significance.parquet"),
            [
                new ParquetColumn("dimension", rows.Select(r => r.Dimension).ToArray()),
                new ParquetColumn("n", rows.Select(r => r.N).ToArray()),
                new ParquetColumn("attribute", rows.Select(r => r.Attribute).ToArray()),
                new ParquetColumn("loading", rows.Select(r => r.Loading).ToArray()),
                new ParquetColumn("p", rows.Select(r => r.P).ToArray()),
                new ParquetColumn("significant", rows.Select(r => r.Significant).ToArray()),
                new ParquetColumn("n_significant", rows.Select(r => r.SignificantCount).ToArray()),
            ],
            cancellationToken).ConfigureAwait(false);

        var scoreColumns = new List<ParquetColumn> { new("seed_id", seedIds.ToArray()) };
        var k = result.Scores.X.Columns;
        for (var j = 0; j < k; j++)
        {
            scoreColumns.Add(new ParquetColumn($"x_{j + 1}", result.Scores.X.Column(j)));
        }

        for (var j = 0; j < k; j++)
        {
            scoreColumns.Add(new ParquetColumn($"y_{j + 1}", result.Scores.Y.Column(j)));
        }

        await ParquetTableWriter.WriteAsync(Path.Combine(folder, "scores.parquet"), scoreColumns, cancellationToken).ConfigureAwait(false);
        await AtomicFile.WriteJsonAsync(Path.Combine(folder, "summary.json"), Summary(result, seedIds.Count, options, inputs), cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject Summary(PpcaResult result, int n, PpcaOptions options, JsonObject inputs)
    {
        var timings = new JsonObject();
        foreach (var (step, seconds) in result.TimingsSeconds)
        {
            timings[step] = Math.Round(seconds, 3);
        }

        return new JsonObject
        {
            ["analysis"] = "ppca",
            ["n_stimuli"] = n,
            ["n_attributes"] = result.Attributes.Count,
            ["k"] = result.Dimensions.Count,
            ["n_significant"] = result.SignificantCount,
            ["dimensions"] = new JsonArray([.. result.Labels.Select(l => JsonValue.Create(l))]),
            ["preservation"] = SummaryJson.Preservation(result.Preservation, result.Labels, result.Attributes),
            ["preservation_skipped"] = result.PreservationSkippedBecause,
            ["parameters"] = new JsonObject
            {
                ["bootstrap"] = options.Bootstrap,
                ["replicates"] = options.Replicates,
                ["inner_bootstrap"] = options.InnerBootstrapResamples,
                ["seed"] = options.Seed,
                ["leave_one_out"] = options.LeaveOneOut.ToString().ToLowerInvariant(),
                ["max_dimensions"] = options.MaxDimensions,
                ["alpha"] = options.Alpha,
                ["snr_threshold"] = options.SnrThreshold,
                ["threads"] = options.EffectiveThreads,
            },
            ["random_generator"] = SeededRandom.Description,
            ["refitted_folds"] = result.RefittedFolds,
            ["inputs"] = inputs,
            ["versions"] = SummaryJson.Versions(),
            ["timings_seconds"] = timings,
        };
    }
}
