using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Outputs;

/// <summary>
/// Writes a <see cref="PpcaResult"/> as the outputs of study-format.md ("Analysis outputs"), and reads back the
/// tables a staged run keeps between its stages. The command line and the cluster write through the same code, so the
/// same result gives the same bytes.
/// </summary>
public static class PpcaOutputs
{
    /// <summary>
    /// The files written, in order. <c>dimension_scores.parquet</c> is written only when the result carries its rotation
    /// (<see cref="PpcaResult.Rotation"/>), since the rotated scores need it.
    /// </summary>
    public static IReadOnlyList<string> Files { get; } =
        ["dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet", "dimension_scores.parquet", "meanings.parquet", "summary.json"];

    /// <summary>Writes every output of <paramref name="result"/> into <paramref name="folder"/> (a staging folder).</summary>
    /// <param name="folder">An existing folder.</param>
    /// <param name="result">The complete analysis.</param>
    /// <param name="seedIds">Stimulus ids, in row order.</param>
    /// <param name="options">The parameters of the run (written to <c>summary.json</c>).</param>
    /// <param name="inputs">What to record as the inputs (for example their full paths).</param>
    /// <param name="cancellationToken">Cancels the writing.</param>
    /// <param name="extra">Further members of <c>summary.json</c> (for example how the run was executed), or null.</param>
    public static async Task WriteAsync(
        string folder,
        PpcaResult result,
        IReadOnlyList<string> seedIds,
        PpcaOptions options,
        JsonObject inputs,
        CancellationToken cancellationToken,
        JsonObject? extra = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(seedIds);

        // Every result is checked before the first file is written, so that a failure leaves no partial output.
        CheckDimensions(result.Dimensions);
        CheckLoadings(result.Labels, result.Loadings);
        ValueChecks.RequireFiniteResult(Stage, "loading_significance.parquet", "loading", result.LoadingSignificance.Select(r => r.Loading).ToArray());
        for (var j = 0; j < result.Scores.X.Columns; j++)
        {
            ValueChecks.RequireFiniteResult(Stage, "scores.parquet", $"x_{j + 1}", result.Scores.X.Column(j));
            ValueChecks.RequireFiniteResult(Stage, "scores.parquet", $"y_{j + 1}", result.Scores.Y.Column(j));
        }

        var interpretation = PpcaInterpretation.Compute(result, options.SharedThreshold);

        await WriteDimensionsAsync(Path.Combine(folder, "dimensions.parquet"), result.Dimensions, cancellationToken).ConfigureAwait(false);
        await WriteLoadingsAsync(Path.Combine(folder, "loadings.parquet"), result.Attributes, result.Labels, result.Loadings, cancellationToken).ConfigureAwait(false);

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
        if (interpretation.Scores is { } rotated)
        {
            await WriteDimensionScoresAsync(Path.Combine(folder, "dimension_scores.parquet"), seedIds, rotated, cancellationToken).ConfigureAwait(false);
        }

        await WriteMeaningsAsync(Path.Combine(folder, "meanings.parquet"), interpretation.Meanings, cancellationToken).ConfigureAwait(false);
        var summary = Summary(result, seedIds.Count, options, inputs);
        summary["interpretation"] = Interpretation(interpretation);
        foreach (var (name, value) in extra ?? [])
        {
            summary[name] = value?.DeepClone();
        }

        await AtomicFile.WriteJsonAsync(Path.Combine(folder, "summary.json"), summary, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stage named when a result is not finite.</summary>
    private const string Stage = "ppca";

    /// <summary>
    /// Eigenvalues are finite for any finite input; NaN there (or in loadings and scores) means the inputs broke the
    /// analysis. Correlations and p-values may be NaN by design (degenerate resamples) and are not checked.
    /// </summary>
    private static void CheckDimensions(IReadOnlyList<DimensionStatistics> dimensions) =>
        ValueChecks.RequireFiniteResult(Stage, "dimensions.parquet", "eigenvalue", dimensions.Select(d => d.Eigenvalue).ToArray());

    private static void CheckLoadings(IReadOnlyList<string> labels, RowMajorMatrix loadings)
    {
        for (var d = 0; d < labels.Count; d++)
        {
            ValueChecks.RequireFiniteResult(Stage, "loadings.parquet", labels[d], loadings.Column(d));
        }
    }

    /// <summary>Writes <c>dimensions.parquet</c>: one row per tested dimension.</summary>
    public static Task WriteDimensionsAsync(string path, IReadOnlyList<DimensionStatistics> dimensions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        CheckDimensions(dimensions);
        var dims = dimensions;
        return ParquetTableWriter.WriteAsync(
            path,
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
            cancellationToken);
    }

    /// <summary>Reads a table written by <see cref="WriteDimensionsAsync"/>.</summary>
    public static async Task<DimensionStatistics[]> ReadDimensionsAsync(string path, CancellationToken cancellationToken)
    {
        var table = await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        T[] Column<T>(string name) => (T[])(table.FindColumn(name) ?? throw InvalidInputException.InFile(path, "missing column", column: name)).Values;
        var dimension = Column<int>("dimension");
        var eigenvalue = Column<double>("eigenvalue");
        var r = Column<double>("r");
        var p = Column<double>("p");
        var q = Column<double>("q_bh");
        var sd = Column<double>("sd");
        var snr = Column<double>("snr");
        var bh = Column<bool>("bh");
        var forwardStop = Column<bool>("forward_stop");
        var snrPass = Column<bool>("snr_pass");
        var significant = Column<bool>("significant");
        var result = new DimensionStatistics[table.RowCount];
        for (var j = 0; j < result.Length; j++)
        {
            result[j] = new DimensionStatistics(dimension[j], eigenvalue[j], r[j], p[j], q[j], sd[j], snr[j], bh[j], forwardStop[j], snrPass[j], significant[j]);
        }

        return result;
    }

    /// <summary>Writes <c>loadings.parquet</c>: <c>attribute</c>, then one column per rotated dimension.</summary>
    public static Task WriteLoadingsAsync(
        string path, IReadOnlyList<string> attributes, IReadOnlyList<string> labels, RowMajorMatrix loadings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(loadings);
        CheckLoadings(labels, loadings);
        var columns = new List<ParquetColumn> { new("attribute", attributes.ToArray()) };
        for (var d = 0; d < labels.Count; d++)
        {
            columns.Add(new ParquetColumn(labels[d], loadings.Column(d)));
        }

        return ParquetTableWriter.WriteAsync(path, columns, cancellationToken);
    }

    /// <summary>Reads a table written by <see cref="WriteLoadingsAsync"/>: the labels and the <c>p x s</c> loadings.</summary>
    public static async Task<(string[] Labels, RowMajorMatrix Loadings)> ReadLoadingsAsync(string path, CancellationToken cancellationToken)
    {
        var table = await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        var labels = table.Columns.Skip(1).Select(c => c.Name).ToArray();
        var loadings = new RowMajorMatrix(table.RowCount, labels.Length);
        for (var d = 0; d < labels.Length; d++)
        {
            var values = (double[])table.Columns[d + 1].Values;
            for (var a = 0; a < values.Length; a++)
            {
                loadings[a, d] = values[a];
            }
        }

        return (labels, loadings);
    }

    /// <summary>
    /// Writes <c>dimension_scores.parquet</c> (analysis.md section 12): <c>seed_id</c>, then the rotated held-out DNN scores
    /// <c>dnn:A, ...</c> (<c>Zx = Sx T</c>) and judgment scores <c>human:A, ...</c> (<c>Zy = Sy T</c>).
    /// </summary>
    public static Task WriteDimensionScoresAsync(string path, IReadOnlyList<string> seedIds, RotatedScores scores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seedIds);
        ArgumentNullException.ThrowIfNull(scores);
        var columns = new List<ParquetColumn> { new("seed_id", seedIds.ToArray()) };
        for (var d = 0; d < scores.Labels.Count; d++)
        {
            columns.Add(new ParquetColumn($"dnn:{scores.Labels[d]}", scores.Dnn.Column(d)));
        }

        for (var d = 0; d < scores.Labels.Count; d++)
        {
            columns.Add(new ParquetColumn($"human:{scores.Labels[d]}", scores.Human.Column(d)));
        }

        return ParquetTableWriter.WriteAsync(path, columns, cancellationToken);
    }

    /// <summary>
    /// Writes <c>meanings.parquet</c> (analysis.md section 12): one row per dimension and country with the top concepts
    /// by loading (<c>concept_1..3</c>, <c>loading_1..3</c>, <c>significant_1..3</c>; null where a country has fewer
    /// concepts), the consistency <c>r</c> of the country's loadings with the mean loadings, and the dimension's
    /// <c>shared</c> call.
    /// </summary>
    public static Task WriteMeaningsAsync(string path, IReadOnlyList<DimensionMeaning> meanings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meanings);
        var rows = meanings.SelectMany(m => m.Countries.Select(c => (Meaning: m, Country: c))).ToArray();
        var columns = new List<ParquetColumn>
        {
            new("dimension", rows.Select(r => r.Meaning.Dimension).ToArray()),
            new("country", rows.Select(r => r.Country.Country).ToArray()),
        };
        for (var rank = 0; rank < PpcaInterpretation.TopCount; rank++)
        {
            var at = rank;
            RankedConcept? Ranked((DimensionMeaning Meaning, CountryMeaning Country) row) => at < row.Country.Top.Count ? row.Country.Top[at] : null;
            columns.Add(new ParquetColumn($"concept_{rank + 1}", rows.Select(r => Ranked(r)?.Concept).ToArray()));
            columns.Add(new ParquetColumn($"loading_{rank + 1}", rows.Select(r => Ranked(r)?.Loading).ToArray()));
            columns.Add(new ParquetColumn($"significant_{rank + 1}", rows.Select(r => Ranked(r)?.Significant).ToArray()));
        }

        columns.Add(new ParquetColumn("r", rows.Select(r => r.Country.Consistency).ToArray()));
        columns.Add(new ParquetColumn("shared", rows.Select(r => r.Meaning.Shared).ToArray()));
        return ParquetTableWriter.WriteAsync(path, columns, cancellationToken);
    }

    /// <summary>The <c>interpretation</c> member of <c>summary.json</c>: the shared or culture-specific call of each dimension.</summary>
    private static JsonObject Interpretation(InterpretationResult interpretation)
    {
        var dimensions = new JsonObject();
        foreach (var meaning in interpretation.Meanings)
        {
            var r = new JsonObject();
            var top = new JsonObject();
            foreach (var country in meaning.Countries)
            {
                r[country.Country] = country.Consistency;
                top[country.Country] = country.Top[0].Concept;
            }

            dimensions[meaning.Dimension] = new JsonObject
            {
                ["call"] = meaning.Shared ? "shared" : "culture-specific",
                ["countries_below"] = new JsonArray([.. meaning.CountriesBelow.Select(c => JsonValue.Create(c))]),
                ["r"] = r,
                ["top_concept"] = top,
                ["most_frequent_top_concept"] = meaning.MostFrequentTopConcept,
                ["top_concept_agreement"] = meaning.TopConceptAgreement,
            };
        }

        return new JsonObject
        {
            ["shared_threshold"] = interpretation.Threshold,
            ["n_shared"] = interpretation.Meanings.Count(m => m.Shared),
            ["n_culture_specific"] = interpretation.Meanings.Count(m => !m.Shared),
            ["dimensions"] = dimensions,
            ["skipped"] = interpretation.MeaningsSkippedBecause,
        };
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
