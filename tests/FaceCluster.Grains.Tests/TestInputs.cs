using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Grains.Tests;

/// <summary>A small PPCA input with planted dimensions, written as tables under a data root, and its single-process outputs.</summary>
internal sealed class TestInputs
{
    public const string XPath = "inputs/x.parquet";
    public const string YPath = "inputs/y.parquet";

    /// <summary>The tables compared byte for byte (summary.json holds timings and is compared field by field).</summary>
    public static readonly string[] Tables = ["dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet", "dimension_scores.parquet", "meanings.parquet"];

    private TestInputs(PlantedPpcaInput data) => Data = data;

    public PlantedPpcaInput Data { get; }

    /// <summary>120 stimuli x 24 attributes (2 countries x 12 concepts), 3 planted dimensions.</summary>
    public static async Task<TestInputs> WriteAsync(string dataRoot, CancellationToken cancellationToken)
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 120, Countries = ["CN", "US"], Concepts = 12, Dimensions = 3, Seed = 11 });
        Directory.CreateDirectory(Path.Combine(dataRoot, "inputs"));
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), Path.Combine(dataRoot, XPath), cancellationToken);
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), Path.Combine(dataRoot, YPath), cancellationToken);
        return new TestInputs(data);
    }

    public static RunRequest Request(string output, int replicates = 12, int rangeSize = 3) =>
        RunParameters.Request(PpcaRunKind.KindName, output, new PpcaParameters { X = XPath, Y = YPath, Bootstrap = 100, Replicates = replicates, Seed = 5, RangeSize = rangeSize, Threads = 1 });

    /// <summary>The outputs of <see cref="PpcaAnalysis.Run"/> on one process, written by the same writer.</summary>
    public async Task<string> WriteSingleProcessOutputsAsync(string folder, RunRequest request, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var options = RunParameters.Read<PpcaParameters>(request).ToOptions();
        var result = PpcaAnalysis.Run(Data.X, Data.Y, Data.Attributes, options, null, cancellationToken);
        await PpcaOutputs.WriteAsync(folder, result, Data.SeedIds, options, new JsonObject(), cancellationToken);
        return folder;
    }

    public static void AssertSameTables(string expectedFolder, string actualFolder)
    {
        foreach (var table in Tables)
        {
            var expected = File.ReadAllBytes(Path.Combine(expectedFolder, table));
            var actual = File.ReadAllBytes(Path.Combine(actualFolder, table));
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{table} differs from the single-process analysis");
        }
    }
}
