using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Reports;

/// <summary>One row of <c>dimensions.parquet</c>: a PPCA dimension and its tests.</summary>
public sealed record DimensionTest(int Index, double Eigenvalue, double R, double P, double Q, double Snr, bool Significant);

/// <summary>What a PPCA's output folder says, read back for the report.</summary>
public sealed class PpcaResults
{
    /// <summary>Its <c>summary.json</c>.</summary>
    public required JsonObject Summary { get; init; }

    /// <summary>The significant dimensions' labels (A, B, ...).</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>The attributes (<c>{country}:{concept}</c>), in table order.</summary>
    public required IReadOnlyList<string> Attributes { get; init; }

    /// <summary>Rotated loadings, attributes x labels.</summary>
    public required RowMajorMatrix Loadings { get; init; }

    /// <summary>(label, attribute) pairs among the significant loadings (empty without replicates).</summary>
    public required IReadOnlySet<(string Dimension, string Attribute)> Significant { get; init; }

    /// <summary>The country x concept grid of the attributes, or null when they are not one.</summary>
    public AttributeGrid? Grid { get; init; }

    /// <summary>What each dimension means in each country (section 12); empty without a grid.</summary>
    public required IReadOnlyList<DimensionMeaning> Meanings { get; init; }

    /// <summary>The seeds of <see cref="Scores"/>, in row order.</summary>
    public IReadOnlyList<string> SeedIds { get; init; } = [];

    /// <summary>Rotated held-out seed scores, or null (no significant dimension, or an output of an older version).</summary>
    public RotatedScores? Scores { get; init; }

    /// <summary>Every tested dimension.</summary>
    public required IReadOnlyList<DimensionTest> Tests { get; init; }

    /// <summary>Whether the loading-significance replicates ran (otherwise nothing is marked significant).</summary>
    public bool HasReplicates => (Summary["parameters"]?["replicates"]?.GetValue<int>() ?? 0) > 0;
}

/// <summary>What a G-PPCA's output folder says: per dimension, the q-value of each country pair and whether it is preserved.</summary>
public sealed class GppcaResults
{
    /// <summary>Its <c>summary.json</c>.</summary>
    public required JsonObject Summary { get; init; }

    /// <summary>The countries.</summary>
    public required IReadOnlyList<string> Countries { get; init; }

    /// <summary>Every tested dimension (G1, G2, ...) with its pairs.</summary>
    public required IReadOnlyList<GppcaDimensionPairs> Dimensions { get; init; }
}

/// <summary>The training of the DNN as <c>model/</c> records it.</summary>
public sealed class TrainingResults
{
    /// <summary>Every step's loss, and the held-out MSE at the end of each epoch.</summary>
    public required IReadOnlyList<TrainingPoint> Points { get; init; }

    /// <summary>The held-out MSE of predicting every face by the mean target (the bar to beat), or null.</summary>
    public double? BaselineMse { get; init; }

    /// <summary>The last epoch's held-out MSE, or null.</summary>
    public double? FinalHeldOutMse { get; init; }

    /// <summary>The <c>training</c> member of <c>model.json</c>.</summary>
    public JsonObject? Summary { get; init; }
}

/// <summary>Every output of a run the report reads, each part null when it is not there.</summary>
public sealed class RunResults
{
    /// <summary>Where they came from.</summary>
    public required ReportInputs Inputs { get; init; }

    /// <summary>The PPCA (always there).</summary>
    public required PpcaResults Ppca { get; init; }

    /// <summary>The G-PPCA, or null.</summary>
    public GppcaResults? Gppca { get; init; }

    /// <summary>The training, or null.</summary>
    public TrainingResults? Training { get; init; }

    /// <summary>The crop set's <c>summary.json</c>, or null.</summary>
    public JsonObject? Crops { get; init; }

    /// <summary>The pipeline's <c>run.json</c>, or null.</summary>
    public JsonObject? Pipeline { get; init; }

    /// <summary>The synthetic study's <c>truth.json</c>, or null.</summary>
    public JsonObject? Truth { get; init; }

    /// <summary>Reads every part <paramref name="inputs"/> names.</summary>
    /// <exception cref="InvalidInputException">A file is missing, damaged or not what it should be (named in the message).</exception>
    public static async Task<RunResults> LoadAsync(ReportInputs inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return new RunResults
        {
            Inputs = inputs,
            Ppca = await LoadPpcaAsync(inputs.Ppca, cancellationToken).ConfigureAwait(false),
            Gppca = inputs.Gppca is null ? null : await LoadGppcaAsync(inputs.Gppca, cancellationToken).ConfigureAwait(false),
            Training = inputs.Model is null ? null : await LoadTrainingAsync(inputs.Model, cancellationToken).ConfigureAwait(false),
            Crops = inputs.Crops is null ? null : await ReadJsonAsync(Path.Combine(inputs.Crops, "summary.json"), optional: true, cancellationToken).ConfigureAwait(false),
            Pipeline = inputs.PipelineRecord is null ? null : await ReadJsonAsync(inputs.PipelineRecord, optional: false, cancellationToken).ConfigureAwait(false),
            Truth = inputs.Truth is null ? null : await ReadJsonAsync(inputs.Truth, optional: false, cancellationToken).ConfigureAwait(false),
        };
    }

    private static async Task<PpcaResults> LoadPpcaAsync(string folder, CancellationToken cancellationToken)
    {
        var summary = (await ReadJsonAsync(Path.Combine(folder, "summary.json"), optional: false, cancellationToken).ConfigureAwait(false))!;
        var loadingsPath = Path.Combine(folder, "loadings.parquet");
        var loadingsTable = await ReadTableAsync(loadingsPath, cancellationToken).ConfigureAwait(false);
        var attributes = Column<string?>(loadingsTable, "attribute").Select((a, i) => a ?? throw InvalidInputException.InFile(loadingsPath, "attribute is empty", i + 1)).ToArray();
        var labels = loadingsTable.Columns.Skip(1).Select(c => c.Name).ToArray();
        var loadings = new RowMajorMatrix(attributes.Length, labels.Length);
        for (var d = 0; d < labels.Length; d++)
        {
            var values = Column<double>(loadingsTable, labels[d]);
            for (var i = 0; i < attributes.Length; i++)
            {
                loadings[i, d] = values[i];
            }
        }

        var significant = new HashSet<(string, string)>();
        var significancePath = Path.Combine(folder, "loading_significance.parquet");
        if (File.Exists(significancePath))
        {
            var table = await ReadTableAsync(significancePath, cancellationToken).ConfigureAwait(false);
            var (dimensions, names, flags) = (Column<string?>(table, "dimension"), Column<string?>(table, "attribute"), Column<bool>(table, "significant"));
            for (var i = 0; i < flags.Length; i++)
            {
                if (flags[i] && dimensions[i] is { } d && names[i] is { } a)
                {
                    significant.Add((d, a));
                }
            }
        }

        var grid = AttributeGrid.TryParse(attributes, out _);
        var threshold = summary["interpretation"]?["shared_threshold"]?.GetValue<double>() ?? PpcaInterpretation.DefaultSharedThreshold;
        var meanings = grid is null || labels.Length == 0
            ? []
            : PpcaInterpretation.Meanings(loadings, labels, attributes, grid, significant, threshold);

        var testsTable = await ReadTableAsync(Path.Combine(folder, "dimensions.parquet"), cancellationToken).ConfigureAwait(false);
        var (index, eigen, r, p, q, snr, sig) = (Column<int>(testsTable, "dimension"), Column<double>(testsTable, "eigenvalue"), Column<double>(testsTable, "r"),
            Column<double>(testsTable, "p"), Column<double>(testsTable, "q_bh"), Column<double>(testsTable, "snr"), Column<bool>(testsTable, "significant"));
        var tests = Enumerable.Range(0, index.Length).Select(i => new DimensionTest(index[i], eigen[i], r[i], p[i], q[i], snr[i], sig[i])).ToArray();

        string[] seedIds = [];
        RotatedScores? scores = null;
        var scoresPath = Path.Combine(folder, "dimension_scores.parquet");
        if (labels.Length > 0 && File.Exists(scoresPath))
        {
            var table = await ReadTableAsync(scoresPath, cancellationToken).ConfigureAwait(false);
            seedIds = Column<string?>(table, "seed_id").Select(s => s ?? "").ToArray();
            var dnn = new RowMajorMatrix(seedIds.Length, labels.Length);
            var human = new RowMajorMatrix(seedIds.Length, labels.Length);
            for (var d = 0; d < labels.Length; d++)
            {
                var (x, y) = (Column<double>(table, "dnn:" + labels[d]), Column<double>(table, "human:" + labels[d]));
                for (var i = 0; i < seedIds.Length; i++)
                {
                    dnn[i, d] = x[i];
                    human[i, d] = y[i];
                }
            }

            scores = new RotatedScores(labels, dnn, human);
        }

        return new PpcaResults
        {
            Summary = summary,
            Labels = labels,
            Attributes = attributes,
            Loadings = loadings,
            Significant = significant,
            Grid = grid,
            Meanings = meanings,
            SeedIds = seedIds,
            Scores = scores,
            Tests = tests,
        };
    }

    private static async Task<GppcaResults> LoadGppcaAsync(string folder, CancellationToken cancellationToken)
    {
        var summary = (await ReadJsonAsync(Path.Combine(folder, "summary.json"), optional: false, cancellationToken).ConfigureAwait(false))!;
        var countries = summary["countries"]?.AsArray().Select(c => c!.GetValue<string>()).ToArray() ?? [];
        var table = await ReadTableAsync(Path.Combine(folder, "gppca.parquet"), cancellationToken).ConfigureAwait(false);
        var (index, preserved) = (Column<int>(table, "dimension"), Column<bool>(table, "preserved"));
        var pairs = new List<(string A, string B, double[] Q)>();
        for (var a = 0; a < countries.Length; a++)
        {
            for (var b = a + 1; b < countries.Length; b++)
            {
                pairs.Add((countries[a], countries[b], Column<double>(table, $"q_{countries[a]}_{countries[b]}")));
            }
        }

        var dimensions = Enumerable.Range(0, index.Length)
            .Select(i => new GppcaDimensionPairs($"G{index[i]}", preserved[i], [.. pairs.Select(p => (p.A, p.B, p.Q[i]))]))
            .ToArray();
        return new GppcaResults { Summary = summary, Countries = countries, Dimensions = dimensions };
    }

    private static async Task<TrainingResults?> LoadTrainingAsync(string folder, CancellationToken cancellationToken)
    {
        var model = await ReadJsonAsync(Path.Combine(folder, "model.json"), optional: false, cancellationToken).ConfigureAwait(false);
        var training = model?["training"] as JsonObject;
        var lossPath = Path.Combine(folder, "loss.parquet");
        if (!File.Exists(lossPath))
        {
            return null;
        }

        var table = await ReadTableAsync(lossPath, cancellationToken).ConfigureAwait(false);
        var (epoch, step, loss, heldOut) = (Column<int>(table, "epoch"), Column<long>(table, "step"), Column<double>(table, "train_loss"), Column<double?>(table, "heldout_mse"));
        var points = Enumerable.Range(0, epoch.Length).Select(i => new TrainingPoint(epoch[i], step[i], loss[i], heldOut[i])).ToArray();
        var finals = training?["held_out_mse"]?.AsArray();
        return new TrainingResults
        {
            Points = points,
            BaselineMse = training?["baseline_mse"]?.GetValue<double>(),
            FinalHeldOutMse = finals is { Count: > 0 } ? finals[^1]?.GetValue<double>() : points.LastOrDefault(p => p.HeldOutMse is not null).HeldOutMse,
            Summary = training,
        };
    }

    private static async Task<ParquetTable> ReadTableAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new InvalidInputException($"{path}: missing");
        }

        return await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
    }

    private static T[] Column<T>(ParquetTable table, string name)
    {
        var column = table.FindColumn(name) ?? throw InvalidInputException.InFile(table.SourcePath, "missing", column: name);
        return column.Values as T[]
            ?? throw InvalidInputException.InFile(table.SourcePath, $"holds {column.ValueType.Name}, expected {typeof(T).Name}", column: name);
    }

    private static async Task<JsonObject?> ReadJsonAsync(string path, bool optional, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return optional ? null : throw new InvalidInputException($"{path}: missing");
        }

        try
        {
            return JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false)) as JsonObject
                ?? throw new InvalidInputException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: damaged JSON ({e.Message})");
        }
    }
}
