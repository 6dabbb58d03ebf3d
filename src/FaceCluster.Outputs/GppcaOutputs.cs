using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Outputs;

/// <summary>
/// Writes a <see cref="GppcaResult"/> as <c>gppca.parquet</c>, <c>gppca_loadings.parquet</c> and <c>summary.json</c>
/// (study-format.md, "Analysis outputs"; analysis.md section 12 for the loadings); shared by the command line and the
/// cluster.
/// </summary>
public static class GppcaOutputs
{
    /// <summary>The files written, in order.</summary>
    public static IReadOnlyList<string> Files { get; } = ["gppca.parquet", "gppca_loadings.parquet", "summary.json"];

    /// <summary>Concepts named per preserved dimension in <c>summary.json</c>.</summary>
    public const int TopConcepts = 3;

    /// <summary>
    /// The country x concept grid of a judgments table, or an <see cref="InvalidInputException"/> naming the file when its
    /// columns are not <c>{country}:{concept}</c> for every country and concept of at least two countries.
    /// </summary>
    public static AttributeGrid GridOf(WideTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var grid = AttributeGrid.TryParse(table.Attributes, out var why)
            ?? throw InvalidInputException.InFile(table.SourcePath, $"columns must be {{country}}:{{concept}} for every country and concept: {why}");
        if (grid.Countries.Count < 2)
        {
            throw InvalidInputException.InFile(table.SourcePath, $"G-PPCA needs at least 2 countries, found {grid.Countries.Count} ({string.Join(", ", grid.Countries)})");
        }

        return grid;
    }

    /// <summary>One <c>n x q</c> matrix per country, concepts in grid order.</summary>
    public static RowMajorMatrix[] Split(WideTable table, AttributeGrid grid)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(grid);
        var countries = new RowMajorMatrix[grid.Countries.Count];
        var q = grid.Concepts.Count;
        var columnOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var a = 0; a < table.ColumnCount; a++)
        {
            columnOf[table.Attributes[a]] = a;
        }

        for (var c = 0; c < countries.Length; c++)
        {
            var m = new RowMajorMatrix(table.RowCount, q);
            for (var j = 0; j < q; j++)
            {
                var column = columnOf[$"{grid.Countries[c]}:{grid.Concepts[j]}"];
                for (var i = 0; i < table.RowCount; i++)
                {
                    m[i, j] = table[i, column];
                }
            }

            countries[c] = m;
        }

        return countries;
    }

    /// <summary>Writes <c>gppca.parquet</c> and <c>summary.json</c> into <paramref name="folder"/> (a staging folder).</summary>
    /// <param name="folder">An existing folder.</param>
    /// <param name="result">The analysis.</param>
    /// <param name="grid">The countries and concepts of the input.</param>
    /// <param name="stimuli">Rows of the input.</param>
    /// <param name="threads">Threads the analysis ran on (recorded).</param>
    /// <param name="inputs">What to record as the inputs.</param>
    /// <param name="seconds">Wall-clock seconds of the analysis.</param>
    /// <param name="cancellationToken">Cancels the writing.</param>
    /// <param name="extra">Further members of <c>summary.json</c>, or null.</param>
    public static async Task WriteAsync(
        string folder,
        GppcaResult result,
        AttributeGrid grid,
        int stimuli,
        int threads,
        JsonObject inputs,
        double seconds,
        CancellationToken cancellationToken,
        JsonObject? extra = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(grid);

        // Eigenvalues are finite for any finite input; correlations and p-values may be NaN by design.
        ValueChecks.RequireFiniteResult("gppca", "gppca.parquet", "eigenvalue", result.Eigenvalues.AsSpan(0, result.Dimensions));
        await ParquetTableWriter.WriteAsync(Path.Combine(folder, "gppca.parquet"), Columns(result, grid), cancellationToken).ConfigureAwait(false);
        await ParquetTableWriter.WriteAsync(Path.Combine(folder, "gppca_loadings.parquet"), LoadingColumns(result, grid), cancellationToken).ConfigureAwait(false);
        var summary = new JsonObject
        {
            ["analysis"] = "gppca",
            ["n_stimuli"] = stimuli,
            ["countries"] = new JsonArray([.. grid.Countries.Select(c => JsonValue.Create(c))]),
            ["n_concepts"] = grid.Concepts.Count,
            ["dimensions_tested"] = result.Dimensions,
            ["n_preserved"] = result.PreservedCount,
            ["preserved_dimensions"] = new JsonArray([.. Enumerable.Range(0, result.Dimensions).Where(j => result.Preserved[j]).Select(j => JsonValue.Create(j + 1))]),
            ["preserved_meanings"] = Meanings(result, grid),
            ["parameters"] = new JsonObject { ["alpha"] = 0.05, ["threads"] = threads },
            ["random_generator"] = "none (G-PPCA draws no random numbers)",
            ["inputs"] = inputs,
            ["versions"] = SummaryJson.Versions(),
            ["timings_seconds"] = new JsonObject { ["gppca"] = Math.Round(seconds, 3) },
        };
        foreach (var (name, value) in extra ?? [])
        {
            summary[name] = value?.DeepClone();
        }

        await AtomicFile.WriteJsonAsync(Path.Combine(folder, "summary.json"), summary, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The loadings of the preserved dimensions: <c>concept</c>, then <c>G{j}</c> (1-based) with column <c>j</c> of the
    /// all-rows eigenvectors <c>W</c> (each flipped so that its largest entry is positive), so a dimension can be read.
    /// </summary>
    private static List<ParquetColumn> LoadingColumns(GppcaResult result, AttributeGrid grid)
    {
        var columns = new List<ParquetColumn> { new("concept", grid.Concepts.ToArray()) };
        foreach (var j in Preserved(result))
        {
            var loadings = new double[grid.Concepts.Count];
            for (var concept = 0; concept < loadings.Length; concept++)
            {
                loadings[concept] = result.Components[concept, j];
            }

            ValueChecks.RequireFiniteResult("gppca", "gppca_loadings.parquet", $"G{j + 1}", loadings);
            columns.Add(new ParquetColumn($"G{j + 1}", loadings));
        }

        return columns;
    }

    /// <summary>Per preserved dimension, its <see cref="TopConcepts"/> concepts by loading, largest first (ties: the earlier concept).</summary>
    private static JsonArray Meanings(GppcaResult result, AttributeGrid grid) =>
        new([.. Preserved(result).Select(j => (JsonNode)new JsonObject
        {
            ["dimension"] = $"G{j + 1}",
            ["top_concepts"] = new JsonArray([.. Enumerable.Range(0, grid.Concepts.Count)
                .OrderByDescending(concept => result.Components[concept, j])
                .ThenBy(concept => concept)
                .Take(TopConcepts)
                .Select(concept => (JsonNode)new JsonObject { ["concept"] = grid.Concepts[concept], ["loading"] = result.Components[concept, j] })]),
        })]);

    private static IEnumerable<int> Preserved(GppcaResult result) => Enumerable.Range(0, result.Dimensions).Where(j => result.Preserved[j]);

    private static List<ParquetColumn> Columns(GppcaResult result, AttributeGrid grid)
    {
        var dims = result.Dimensions;
        var columns = new List<ParquetColumn>
        {
            new("dimension", Enumerable.Range(1, dims).ToArray()),
            new("eigenvalue", result.Eigenvalues[..dims]),
        };
        foreach (var pair in result.Pairs)
        {
            var name = $"{grid.Countries[pair.A]}_{grid.Countries[pair.B]}";
            columns.Add(new ParquetColumn($"r_{name}", pair.R));
            columns.Add(new ParquetColumn($"p_{name}", pair.P));
            columns.Add(new ParquetColumn($"q_{name}", pair.Q));
        }

        columns.Add(new ParquetColumn("preserved", result.Preserved));
        return columns;
    }
}
