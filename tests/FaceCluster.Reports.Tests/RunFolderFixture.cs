using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;

namespace FaceCluster.Reports.Tests;

/// <summary>
/// A run's output folder as a pipeline leaves it, made by the real analysis code on planted data: three planted
/// dimensions over 3 countries x 8 concepts with disjoint supports, two universal and one culture-specific (concept C4
/// in CN and IN, C6 in US), stated in the study's <c>truth.json</c>; PPCA (with replicates) and G-PPCA written by
/// their writers; crops of every seed and three mimics each (solid colours, so a montage can be checked pixel by
/// pixel); a model folder's loss table; and <c>run.json</c>.
/// </summary>
public static class RunFolderFixture
{
    public static readonly string[] Countries = ["CN", "IN", "US"];
    public const int Concepts = 8;
    public const int Seeds = 240;
    public const int MimicsPerSeed = 3;

    /// <summary>The colour of a crop: seeds by their index, mimics darker.</summary>
    public static (byte R, byte G, byte B) ColourOf(int seed, int mimic) =>
        ((byte)(40 + (seed * 7 % 200)), (byte)(mimic * 60), (byte)(200 - (seed * 3 % 150)));

    /// <summary>Writes the run into <paramref name="folder"/>/run and its study into <paramref name="folder"/>/study; returns the run folder.</summary>
    public static async Task<string> CreateAsync(string folder, bool pipeline = true, CancellationToken cancellationToken = default)
    {
        var run = Directory.CreateDirectory(Path.Combine(folder, "run")).FullName;
        var (x, y, attributes, seedIds) = Planted();
        var ppcaFolder = pipeline ? Directory.CreateDirectory(Path.Combine(run, "ppca")).FullName : run;
        var options = new PpcaOptions { Bootstrap = 100, Replicates = 4, Threads = 2, Seed = 5 };
        var result = PpcaAnalysis.Run(x, y, attributes, options, null, cancellationToken);
        await PpcaOutputs.WriteAsync(ppcaFolder, result, seedIds, options, new JsonObject { ["x"] = "x.parquet", ["y"] = "y.parquet" }, cancellationToken);
        if (!pipeline)
        {
            return run;
        }

        var table = new WideTable(seedIds, attributes, y.Values, "judgments");
        var grid = GppcaOutputs.GridOf(table);
        var gppca = Gppca.Run(GppcaOutputs.Split(table, grid), 2);
        await GppcaOutputs.WriteAsync(Directory.CreateDirectory(Path.Combine(run, "gppca")).FullName, gppca, grid, Seeds, 2, new JsonObject(), 0.1, cancellationToken);

        var study = Directory.CreateDirectory(Path.Combine(folder, "study")).FullName;
        await File.WriteAllTextAsync(Path.Combine(study, "truth.json"), Truth().ToJsonString(), cancellationToken);
        await WriteCropsAsync(Path.Combine(run, "crops"), seedIds, cancellationToken);
        await WriteModelAsync(Path.Combine(run, "model"), cancellationToken);
        var stages = new JsonArray();
        foreach (var (name, seconds) in new[] { ("aggregate", 0.4), ("crop", 12.5), ("train", 80.2), ("predict", 3.1), ("ppca", 9.9), ("gppca", 0.2) })
        {
            stages.Add(new JsonObject { ["name"] = name, ["outcome"] = "completed", ["seconds"] = seconds });
        }

        var record = new JsonObject
        {
            ["format"] = 1,
            ["run_id"] = "pipeline-fixture",
            ["state"] = "running",
            ["study"] = study,
            ["parameters"] = new JsonObject { ["study"] = "study" },
            ["seeds"] = new JsonObject { ["training"] = 1, ["ppca"] = 5 },
            ["versions"] = SummaryJson.Versions(),
            ["stages"] = stages,
        };
        await File.WriteAllTextAsync(Path.Combine(run, "run.json"), record.ToJsonString(), cancellationToken);
        return run;
    }

    private static (RowMajorMatrix X, RowMajorMatrix Y, string[] Attributes, string[] SeedIds) Planted()
    {
        var p = Countries.Length * Concepts;
        var planted = new RowMajorMatrix(p, 3);
        for (var a = 0; a < Countries.Length; a++)
        {
            planted[(a * Concepts) + 0, 0] = 1;
            planted[(a * Concepts) + 1, 0] = 0.5;
            planted[(a * Concepts) + 2, 1] = 1;
            planted[(a * Concepts) + 3, 1] = 0.7;
            planted[(a * Concepts) + (a < 2 ? 4 : 6), 2] = 1;
        }

        double[] strengths = [4, 3, 2];
        var x = new RowMajorMatrix(Seeds, p);
        var y = new RowMajorMatrix(Seeds, p);
        var random = new SeededRandom(7, RandomPurpose.SyntheticData, 0);
        for (var i = 0; i < Seeds; i++)
        {
            var z = strengths.Select(s => s * random.NextGaussian()).ToArray();
            for (var j = 0; j < p; j++)
            {
                var signal = Enumerable.Range(0, 3).Sum(d => z[d] * planted[j, d] / Norm(planted, d));
                x[i, j] = signal + (0.5 * random.NextGaussian());
                y[i, j] = signal + (0.5 * random.NextGaussian());
            }
        }

        string[] attributes = [.. Countries.SelectMany(c => Enumerable.Range(0, Concepts).Select(b => $"{c}:C{b}"))];
        return (x, y, attributes, [.. Enumerable.Range(1, Seeds).Select(i => $"S{i:D4}")]);
    }

    private static double Norm(RowMajorMatrix m, int d) => Math.Sqrt(m.Column(d).Sum(v => v * v));

    /// <summary>The planted truth in the generator's form.</summary>
    public static JsonObject Truth()
    {
        JsonObject Same(params (string Concept, double Weight)[] weights)
        {
            var meanings = new JsonObject();
            foreach (var country in Countries)
            {
                meanings[country] = Weights(weights);
            }

            return meanings;
        }

        static JsonObject Weights((string Concept, double Weight)[] weights) => new(weights.Select(w => KeyValuePair.Create(w.Concept, (JsonNode?)w.Weight)));
        var specific = new JsonObject { ["CN"] = Weights([("C4", 1.0)]), ["IN"] = Weights([("C4", 1.0)]), ["US"] = Weights([("C6", 1.0)]) };
        return new JsonObject
        {
            ["generator"] = "fixture",
            ["dimensions"] = new JsonArray(
                new JsonObject { ["name"] = "D01", ["universal"] = true, ["meanings"] = Same(("C0", 1.0), ("C1", 0.5)) },
                new JsonObject { ["name"] = "D02", ["universal"] = true, ["meanings"] = Same(("C2", 1.0), ("C3", 0.7)) },
                new JsonObject { ["name"] = "D03", ["universal"] = false, ["meanings"] = specific }),
        };
    }

    private static async Task WriteCropsAsync(string folder, string[] seedIds, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(CropSet.ShardFolder(folder));
        var records = new List<FaceCropRecord>();
        for (var s = 0; s < seedIds.Length; s++)
        {
            records.Add(Crop(seedIds[s], "seed", seedIds[s], ColourOf(s, 0)));
            for (var m = 1; m <= MimicsPerSeed; m++)
            {
                records.Add(Crop($"{seedIds[s]}-M{m}", "mimic", seedIds[s], ColourOf(s, m)));
            }
        }

        const int shardSize = 256;
        for (var start = 0; start < records.Count; start += shardSize)
        {
            var end = Math.Min(records.Count, start + shardSize);
            await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(folder), CropShard.FileName(start, end)), records[start..end], cancellationToken);
        }

        await new CropSetManifest(CropSetManifest.CurrentFormat, "fixture", folder, records.Count, shardSize, 16, 0, "prewhiten", "probable", 20, [0.6, 0.7, 0.7], 0.709, false)
            .WriteAsync(folder, cancellationToken);
        var summary = new JsonObject { ["images"] = records.Count, ["detected"] = records.Count, ["detection_rate"] = 1.0 };
        await File.WriteAllTextAsync(Path.Combine(folder, "summary.json"), summary.ToJsonString(), cancellationToken);

        static FaceCropRecord Crop(string id, string kind, string seed, (byte R, byte G, byte B) colour)
        {
            var pixels = new byte[16 * 16 * 3];
            for (var i = 0; i < pixels.Length; i += 3)
            {
                (pixels[i], pixels[i + 1], pixels[i + 2]) = colour;
            }

            return new FaceCropRecord(id, kind, seed, CropStatus.Ok, null, 64, 64, 1, new CropBox(0, 0, 16, 16), 0.99f, null, pixels);
        }
    }

    private static async Task WriteModelAsync(string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var epochs = 3;
        var steps = 10;
        var rows = Enumerable.Range(0, epochs * steps).Select(i => (Epoch: (i / steps) + 1, Step: (long)i + 1, Loss: 0.5 * Math.Exp(-i / 10.0), HeldOut: i % steps == steps - 1 ? 0.3 * Math.Exp(-i / 12.0) : (double?)null)).ToArray();
        await ParquetTableWriter.WriteAsync(
            Path.Combine(folder, "loss.parquet"),
            [
                new ParquetColumn("epoch", rows.Select(r => r.Epoch).ToArray()),
                new ParquetColumn("batch", rows.Select(r => (int)((r.Step - 1) % steps) + 1).ToArray()),
                new ParquetColumn("step", rows.Select(r => r.Step).ToArray()),
                new ParquetColumn("faces", rows.Select(_ => 32).ToArray()),
                new ParquetColumn("train_loss", rows.Select(r => r.Loss).ToArray()),
                new ParquetColumn("lr", rows.Select(_ => 1e-3).ToArray()),
                new ParquetColumn("heldout_mse", rows.Select(r => r.HeldOut).ToArray()),
                new ParquetColumn("baseline_mse", rows.Select((r, i) => i == rows.Length - 1 ? 0.2 : (double?)null).ToArray()),
            ],
            cancellationToken);
        var model = new JsonObject
        {
            ["format"] = "facecluster-model/1",
            ["training"] = new JsonObject
            {
                ["epochs_done"] = epochs,
                ["steps"] = epochs * steps,
                ["train_faces"] = 640,
                ["held_out_faces"] = 80,
                ["held_out_mse"] = new JsonArray([.. rows.Where(r => r.HeldOut is not null).Select(r => JsonValue.Create(r.HeldOut))]),
                ["baseline_mse"] = 0.2,
            },
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "model.json"), model.ToJsonString(), cancellationToken);
    }
}
