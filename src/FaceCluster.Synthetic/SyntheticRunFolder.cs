using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;

namespace FaceCluster.Synthetic;

/// <summary>How <see cref="SyntheticRunFolder"/> fills a run folder.</summary>
public sealed record SyntheticRunOptions
{
    /// <summary>The PPCA's settings.</summary>
    public PpcaOptions Ppca { get; init; } = new() { Bootstrap = 100, Replicates = 4, Threads = 0 };

    /// <summary>Mimic crops per seed.</summary>
    public int MimicsPerSeed { get; init; } = 3;

    /// <summary>Side of a crop in pixels.</summary>
    public int CropSize { get; init; } = 160;

    /// <summary>Crops per shard.</summary>
    public int ShardSize { get; init; } = 256;

    /// <summary>Training epochs in the loss table.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Training steps per epoch in the loss table.</summary>
    public int StepsPerEpoch { get; init; } = 10;

    /// <summary>Whether crops carry deterministic pixel noise around their colour (compressing like photographs, for benchmarks) instead of one solid colour.</summary>
    public bool NoisyCrops { get; init; }

    /// <summary>Whether to write the pipeline's other parts (G-PPCA, crops, model, run.json, the study's truth); false: a PPCA folder alone.</summary>
    public bool Pipeline { get; init; } = true;
}

/// <summary>
/// A run's output folder as <c>facecluster run</c> leaves it, for tests and benchmarks of what reads it (the report):
/// PPCA and G-PPCA computed by the real analysis code from given DNN-side and judgment-side tables and written by
/// their writers; crops of every seed and some mimics (one solid colour each, <see cref="ColourOf"/>, so that a face
/// montage can be checked pixel by pixel); the model folder's loss table and <c>model.json</c> training record;
/// <c>run.json</c>; and the study's <c>truth.json</c> when one is given. It does not crop, train or predict.
/// </summary>
public static class SyntheticRunFolder
{
    /// <summary>The colour of the crop of seed <paramref name="seed"/> (<paramref name="mimic"/> 0) or of its mimic.</summary>
    public static (byte R, byte G, byte B) ColourOf(int seed, int mimic) =>
        ((byte)(40 + (seed * 7 % 200)), (byte)(mimic * 60 % 256), (byte)(200 - (seed * 3 % 150)));

    /// <summary>
    /// Writes the run into <paramref name="folder"/>/run (and the study's truth into <paramref name="folder"/>/study);
    /// returns the run folder.
    /// </summary>
    public static async Task<string> WriteAsync(
        string folder,
        IReadOnlyList<string> seedIds,
        RowMajorMatrix x,
        RowMajorMatrix y,
        IReadOnlyList<string> attributes,
        JsonObject? truth,
        SyntheticRunOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seedIds);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(options);
        var run = Directory.CreateDirectory(Path.Combine(folder, "run")).FullName;
        var ppcaFolder = options.Pipeline ? Directory.CreateDirectory(Path.Combine(run, "ppca")).FullName : run;
        var result = PpcaAnalysis.Run(x, y, attributes, options.Ppca, null, cancellationToken);
        await PpcaOutputs.WriteAsync(ppcaFolder, result, seedIds, options.Ppca, new JsonObject { ["x"] = "predictions.parquet", ["y"] = "judgments.parquet" }, cancellationToken)
            .ConfigureAwait(false);
        if (!options.Pipeline)
        {
            return run;
        }

        var table = new WideTable([.. seedIds], [.. attributes], y.Values, "judgments");
        var grid = GppcaOutputs.GridOf(table);
        var gppca = Gppca.Run(GppcaOutputs.Split(table, grid), options.Ppca.EffectiveThreads);
        await GppcaOutputs.WriteAsync(Directory.CreateDirectory(Path.Combine(run, "gppca")).FullName, gppca, grid, seedIds.Count, 2, [], 0.1, cancellationToken).ConfigureAwait(false);

        var study = Directory.CreateDirectory(Path.Combine(folder, "study")).FullName;
        if (truth is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(study, "truth.json"), truth.ToJsonString(), cancellationToken).ConfigureAwait(false);
        }

        await WriteCropsAsync(Path.Combine(run, "crops"), seedIds, options, cancellationToken).ConfigureAwait(false);
        await WriteModelAsync(Path.Combine(run, "model"), options, cancellationToken).ConfigureAwait(false);
        var stages = new JsonArray();
        foreach (var (name, seconds) in new[] { ("aggregate", 0.4), ("crop", 12.5), ("train", 80.2), ("predict", 3.1), ("ppca", 9.9), ("gppca", 0.2) })
        {
            stages.Add(new JsonObject { ["name"] = name, ["outcome"] = "completed", ["seconds"] = seconds });
        }

        var record = new JsonObject
        {
            ["format"] = 1,
            ["run_id"] = "pipeline-synthetic",
            ["state"] = "running",
            ["study"] = study,
            ["parameters"] = new JsonObject { ["study"] = "study" },
            ["seeds"] = new JsonObject { ["training"] = 1, ["ppca"] = options.Ppca.Seed },
            ["versions"] = SummaryJson.Versions(),
            ["stages"] = stages,
        };
        await File.WriteAllTextAsync(Path.Combine(run, "run.json"), record.ToJsonString(), cancellationToken).ConfigureAwait(false);
        return run;
    }

    private static async Task WriteCropsAsync(string folder, IReadOnlyList<string> seedIds, SyntheticRunOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(CropSet.ShardFolder(folder));
        var size = options.CropSize;
        var perSeed = 1 + options.MimicsPerSeed;
        var count = seedIds.Count * perSeed;
        for (var start = 0; start < count; start += options.ShardSize)
        {
            var end = Math.Min(count, start + options.ShardSize);
            var records = Enumerable.Range(start, end - start).Select(i =>
            {
                var (s, m) = (i / perSeed, i % perSeed);
                var id = m == 0 ? seedIds[s] : $"{seedIds[s]}-M{m:D3}";
                return new FaceCropRecord(id, m == 0 ? "seed" : "mimic", seedIds[s], CropStatus.Ok, null, size * 2, size * 2, 1, new CropBox(0, 0, size, size), 0.99f, null, Pixels(size, ColourOf(s, m), options.NoisyCrops ? i + 1 : 0));
            }).ToArray();
            await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(folder), CropShard.FileName(start, end)), records, cancellationToken).ConfigureAwait(false);
        }

        await new CropSetManifest(CropSetManifest.CurrentFormat, "synthetic", folder, count, options.ShardSize, size, 0, "prewhiten", "probable", 20, [0.6, 0.7, 0.7], 0.709, false)
            .WriteAsync(folder, cancellationToken).ConfigureAwait(false);
        var summary = new JsonObject { ["images"] = count, ["detected"] = count, ["detection_rate"] = 1.0 };
        await File.WriteAllTextAsync(Path.Combine(folder, "summary.json"), summary.ToJsonString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A crop of one colour, or (noise > 0) that colour plus up to ±32 levels of hashed noise per byte.</summary>
    private static byte[] Pixels(int size, (byte R, byte G, byte B) colour, int noise)
    {
        var pixels = new byte[size * size * 3];
        for (var i = 0; i < pixels.Length; i += 3)
        {
            (pixels[i], pixels[i + 1], pixels[i + 2]) = colour;
        }

        if (noise > 0)
        {
            var state = (uint)noise * 2654435761u;
            for (var i = 0; i < pixels.Length; i++)
            {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                pixels[i] = (byte)Math.Clamp(pixels[i] + (int)(state % 65) - 32, 0, 255);
            }
        }

        return pixels;
    }

    private static async Task WriteModelAsync(string folder, SyntheticRunOptions options, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var steps = options.StepsPerEpoch;
        var rows = Enumerable.Range(0, options.Epochs * steps)
            .Select(i => (Epoch: (i / steps) + 1, Step: (long)i + 1, Loss: 0.5 * Math.Exp(-i / (2.0 * steps)), HeldOut: i % steps == steps - 1 ? 0.3 * Math.Exp(-i / (3.0 * steps)) : (double?)null))
            .ToArray();
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
            cancellationToken).ConfigureAwait(false);
        var model = new JsonObject
        {
            ["format"] = "facecluster-model/1",
            ["training"] = new JsonObject
            {
                ["epochs_done"] = options.Epochs,
                ["steps"] = rows.Length,
                ["train_faces"] = 640,
                ["held_out_faces"] = 80,
                ["held_out_mse"] = new JsonArray([.. rows.Where(r => r.HeldOut is not null).Select(r => JsonValue.Create(r.HeldOut))]),
                ["baseline_mse"] = 0.2,
            },
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "model.json"), model.ToJsonString(), cancellationToken).ConfigureAwait(false);
    }
}
