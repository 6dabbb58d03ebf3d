using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Outputs.Tests;

/// <summary>The interpretation tables of analysis.md section 12 as <see cref="PpcaOutputs"/> writes them.</summary>
public sealed class PpcaInterpretationOutputsTests : IDisposable
{
    private static readonly PlantedPpcaInput Data = PlantedPpcaData.Generate(
        new PlantedPpcaOptions { Stimuli = 90, Countries = ["CN", "US"], Concepts = 6, Dimensions = 2, Seed = 4 });

    private static readonly PpcaOptions Options = new() { Bootstrap = 60, Replicates = 6, InnerBootstrap = 20, Threads = 2, Seed = 2 };

    private static readonly Lazy<PpcaResult> Result = new(() => PpcaAnalysis.Run(Data.X, Data.Y, Data.Attributes, Options));

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "facecluster-outputs-tests-" + Guid.NewGuid().ToString("N"));

    public PpcaInterpretationOutputsTests() => Directory.CreateDirectory(_folder);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Writes_dimension_scores_meanings_and_the_summary_interpretation()
    {
        var result = Result.Value;
        Assert.True(result.SignificantCount >= 1);
        var labels = result.Labels;
        await PpcaOutputs.WriteAsync(_folder, result, Data.SeedIds, Options, [], Ct);

        Assert.Equal(PpcaOutputs.Files.Order(StringComparer.Ordinal), Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var expected = PpcaInterpretation.Compute(result);

        var scores = ParquetTableReader.ReadAll(Path.Combine(_folder, "dimension_scores.parquet"));
        Assert.Equal(["seed_id", .. labels.Select(l => $"dnn:{l}"), .. labels.Select(l => $"human:{l}")], scores.Columns.Select(c => c.Name));
        Assert.Equal(Data.SeedIds, (string[])scores.Columns[0].Values);
        Assert.Equal(expected.Scores!.Dnn.Column(0), (double[])scores.FindColumn("dnn:A")!.Values);
        Assert.Equal(expected.Scores.Human.Column(0), (double[])scores.FindColumn("human:A")!.Values);

        var meanings = ParquetTableReader.ReadAll(Path.Combine(_folder, "meanings.parquet"));
        Assert.Equal(
            ["dimension", "country", "concept_1", "loading_1", "significant_1", "concept_2", "loading_2", "significant_2",
             "concept_3", "loading_3", "significant_3", "r", "shared"],
            meanings.Columns.Select(c => c.Name));
        Assert.Equal(2 * labels.Count, meanings.RowCount);
        Assert.Equal(labels.SelectMany(l => new[] { l, l }), (string?[])meanings.FindColumn("dimension")!.Values);
        Assert.Equal(labels.SelectMany(_ => new[] { "CN", "US" }), (string?[])meanings.FindColumn("country")!.Values);
        var rows = expected.Meanings.SelectMany(m => m.Countries.Select(c => (Meaning: m, Country: c))).ToArray();
        Assert.Equal(rows.Select(r => r.Country.Top[0].Concept), (string?[])meanings.FindColumn("concept_1")!.Values);
        Assert.Equal(rows.Select(r => (double?)r.Country.Top[2].Loading), (double?[])meanings.FindColumn("loading_3")!.Values);
        Assert.Equal(rows.Select(r => (bool?)r.Country.Top[0].Significant), (bool?[])meanings.FindColumn("significant_1")!.Values);
        Assert.Equal(rows.Select(r => r.Country.Consistency), (double[])meanings.FindColumn("r")!.Values);
        Assert.Equal(rows.Select(r => r.Meaning.Shared), (bool[])meanings.FindColumn("shared")!.Values);

        // With replicates, the top concept of a well-planted dimension is a significant loading somewhere.
        Assert.Contains(true, (bool?[])meanings.FindColumn("significant_1")!.Values);

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "summary.json"), Ct))!["interpretation"]!.AsObject();
        Assert.Equal(0.6, summary["shared_threshold"]!.GetValue<double>());
        Assert.Equal(expected.Meanings.Count(m => m.Shared), summary["n_shared"]!.GetValue<int>());
        Assert.Equal(labels.Count, summary["n_shared"]!.GetValue<int>() + summary["n_culture_specific"]!.GetValue<int>());
        Assert.Null(summary["skipped"]);
        var dimensions = summary["dimensions"]!.AsObject();
        Assert.Equal(labels, dimensions.Select(d => d.Key));
        foreach (var meaning in expected.Meanings)
        {
            var entry = dimensions[meaning.Dimension]!.AsObject();
            Assert.Equal(meaning.Shared ? "shared" : "culture-specific", entry["call"]!.GetValue<string>());
            Assert.Equal(meaning.CountriesBelow, entry["countries_below"]!.AsArray().Select(c => c!.GetValue<string>()));
            Assert.Equal(meaning.Countries[1].Top[0].Concept, entry["top_concept"]!["US"]!.GetValue<string>());
            Assert.Equal(meaning.Countries[0].Consistency, entry["r"]!["CN"]!.GetValue<double>());
            Assert.Equal(meaning.MostFrequentTopConcept, entry["most_frequent_top_concept"]!.GetValue<string>());
            Assert.Equal(meaning.TopConceptAgreement, entry["top_concept_agreement"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task The_threshold_of_the_options_is_used_and_recorded()
    {
        var options = Options with { SharedThreshold = 1 };
        await PpcaOutputs.WriteAsync(_folder, Result.Value, Data.SeedIds, options, [], Ct);

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "summary.json"), Ct))!["interpretation"]!.AsObject();
        Assert.Equal(1.0, summary["shared_threshold"]!.GetValue<double>());

        // Country loadings never equal their mean exactly on noisy data: nothing is shared at r >= 1.
        Assert.Equal(0, summary["n_shared"]!.GetValue<int>());
        var meanings = ParquetTableReader.ReadAll(Path.Combine(_folder, "meanings.parquet"));
        Assert.DoesNotContain(true, (bool[])meanings.FindColumn("shared")!.Values);
    }

    [Fact]
    public async Task Without_a_rotation_the_scores_table_is_left_out_and_the_rest_unchanged()
    {
        var full = Path.Combine(_folder, "full");
        var bare = Path.Combine(_folder, "bare");
        Directory.CreateDirectory(full);
        Directory.CreateDirectory(bare);
        await PpcaOutputs.WriteAsync(full, Result.Value, Data.SeedIds, Options, [], Ct);
        await PpcaOutputs.WriteAsync(bare, Result.Value with { Rotation = null }, Data.SeedIds, Options, [], Ct);

        Assert.False(File.Exists(Path.Combine(bare, "dimension_scores.parquet")));
        foreach (var table in new[] { "dimensions.parquet", "loadings.parquet", "loading_significance.parquet", "scores.parquet", "meanings.parquet" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(full, table), Ct), await File.ReadAllBytesAsync(Path.Combine(bare, table), Ct));
        }
    }

    [Fact]
    public async Task Attributes_that_are_not_a_grid_give_an_empty_meanings_table_and_a_reason()
    {
        var result = Result.Value with { Attributes = [.. Data.Attributes.Select(a => a.Replace(':', '-'))], Preservation = null };
        await PpcaOutputs.WriteAsync(_folder, result, Data.SeedIds, Options, [], Ct);

        var meanings = ParquetTableReader.ReadAll(Path.Combine(_folder, "meanings.parquet"));
        Assert.Equal(0, meanings.RowCount);
        Assert.Equal(13, meanings.Columns.Count);
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(_folder, "summary.json"), Ct))!["interpretation"]!.AsObject();
        Assert.Contains("country:concept", summary["skipped"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(summary["dimensions"]!.AsObject());
        Assert.True(File.Exists(Path.Combine(_folder, "dimension_scores.parquet")));
    }
}
