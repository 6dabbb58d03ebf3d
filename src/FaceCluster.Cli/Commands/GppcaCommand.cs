using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster analyze gppca --judgments J --out DIR</c>: generalized PPCA of judgments across
/// countries (analysis.md section 8), writing <c>gppca.parquet</c> and <c>summary.json</c>.
/// </summary>
internal static class GppcaCommand
{
    /// <summary>Builds the <c>analyze gppca</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var judgments = new Option<string>("--judgments", "-j")
        {
            Description = "Judgments per seed: a wide .parquet or .csv table with columns {country}:{concept} (every country with every concept).",
            Required = true,
            HelpName = "FILE",
        };
        var output = AnalyzeCommand.OutputOption();
        var overwrite = AnalyzeCommand.OverwriteOption();
        var threads = new Option<int>("--threads") { Description = "Worker threads (0: all cores); results do not depend on it.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = new Command("gppca", "Dimensions of judgments preserved across countries (generalized PPCA with leave-one-out and pairwise tests).")
        {
            judgments, output, overwrite, threads,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetRequiredValue(judgments),
            parseResult.GetRequiredValue(output),
            parseResult.GetValue(overwrite),
            parseResult.GetValue(threads),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string path, string outputPath, bool overwrite, int threads, CancellationToken cancellationToken)
    {
        if (threads < 0)
        {
            throw new InvalidInputException($"--threads must be 0 (all cores) or more, got {threads}");
        }

        var table = await WideTableReader.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var grid = AttributeGrid.TryParse(table.Attributes, out var why)
            ?? throw InvalidInputException.InFile(path, $"columns must be {{country}}:{{concept}} for every country and concept: {why}");
        if (grid.Countries.Count < 2)
        {
            throw InvalidInputException.InFile(path, $"G-PPCA needs at least 2 countries, found {grid.Countries.Count} ({string.Join(", ", grid.Countries)})");
        }

        using var output = StagedOutputDirectory.Create(outputPath, overwrite);
        var countries = Split(table, grid);
        var watch = Stopwatch.StartNew();
        var result = await context.Progress.RunAsync(async reporter =>
        {
            using var step = reporter.Start("G-PPCA leave-one-out and tests", 1);
            var run = await Task.Run(() => Gppca.Run(countries, threads > 0 ? threads : Environment.ProcessorCount), cancellationToken).ConfigureAwait(false);
            step.Advance();
            return run;
        }).ConfigureAwait(false);
        var seconds = watch.Elapsed.TotalSeconds;

        await ParquetTableWriter.WriteAsync(Path.Combine(output.StagingPath, "gppca.parquet"), Columns(result, grid), cancellationToken).ConfigureAwait(false);
        var summary = new JsonObject
        {
            ["analysis"] = "gppca",
            ["n_stimuli"] = table.RowCount,
            ["countries"] = new JsonArray([.. grid.Countries.Select(c => JsonValue.Create(c))]),
            ["n_concepts"] = grid.Concepts.Count,
            ["dimensions_tested"] = result.Dimensions,
            ["n_preserved"] = result.PreservedCount,
            ["preserved_dimensions"] = new JsonArray([.. Enumerable.Range(0, result.Dimensions).Where(j => result.Preserved[j]).Select(j => JsonValue.Create(j + 1))]),
            ["parameters"] = new JsonObject { ["alpha"] = 0.05, ["threads"] = threads > 0 ? threads : Environment.ProcessorCount },
            ["random_generator"] = "none (G-PPCA draws no random numbers)",
            ["inputs"] = new JsonObject { ["judgments"] = Path.GetFullPath(path) },
            ["versions"] = SummaryJson.Versions(),
            ["timings_seconds"] = new JsonObject { ["gppca"] = Math.Round(seconds, 3) },
        };
        await AtomicFile.WriteJsonAsync(Path.Combine(output.StagingPath, "summary.json"), summary, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        await context.Output.WriteLineAsync(
            $"G-PPCA of {table.RowCount} stimuli, {grid.Countries.Count} countries x {grid.Concepts.Count} concepts: {result.PreservedCount} of {result.Dimensions} dimensions preserved.").ConfigureAwait(false);
        await context.Output.WriteLineAsync($"Results in {output.TargetPath}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>One n x q matrix per country, concepts in grid order.</summary>
    internal static RowMajorMatrix[] Split(WideTable table, AttributeGrid grid)
    {
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
