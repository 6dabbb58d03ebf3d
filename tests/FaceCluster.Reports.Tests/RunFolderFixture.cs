using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Synthetic;

namespace FaceCluster.Reports.Tests;

/// <summary>
/// A run's output folder as a pipeline leaves it, made by the real analysis code on planted data: three planted
/// dimensions over 3 countries x 8 concepts with disjoint supports, two universal and one culture-specific (concept C4
/// in CN and IN, C6 in US), stated in the study's <c>truth.json</c>; the rest by <see cref="SyntheticRunFolder"/>.
/// </summary>
public static class RunFolderFixture
{
    public static readonly string[] Countries = ["CN", "IN", "US"];
    public const int Concepts = 8;
    public const int Seeds = 240;
    public const int MimicsPerSeed = 3;

    /// <summary>The colour of a crop: seeds by their index, mimics darker.</summary>
    public static (byte R, byte G, byte B) ColourOf(int seed, int mimic) => SyntheticRunFolder.ColourOf(seed, mimic);

    /// <summary>Writes the run into <paramref name="folder"/>/run and its study into <paramref name="folder"/>/study; returns the run folder.</summary>
    public static Task<string> CreateAsync(string folder, bool pipeline = true, CancellationToken cancellationToken = default)
    {
        var (x, y, attributes, seedIds) = Planted();
        return SyntheticRunFolder.WriteAsync(
            folder,
            seedIds,
            x,
            y,
            attributes,
            Truth(),
            new SyntheticRunOptions { Ppca = new PpcaOptions { Bootstrap = 100, Replicates = 4, Threads = 2, Seed = 5 }, MimicsPerSeed = MimicsPerSeed, CropSize = 16, Pipeline = pipeline },
            cancellationToken);
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
}
