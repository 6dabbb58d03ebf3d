using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Reports;

/// <summary>The t-SNE maps of the seeds (Figure 4A): by their rotated DNN scores and by their rotated human scores.</summary>
/// <param name="SeedIds">The seeds, in row order.</param>
/// <param name="Dnn">The map of <c>Zx</c> (<c>n x 2</c>).</param>
/// <param name="Human">The map of <c>Zy</c> (<c>n x 2</c>).</param>
/// <param name="Dominant">Per seed, the index of the dimension with the largest <c>Zx</c> entry.</param>
/// <param name="Labels">The dimensions.</param>
/// <param name="Perplexity">The perplexity used (30, or less for a study of fewer than 91 seeds).</param>
/// <param name="KlDivergence">The final KL divergence of each map (DNN, human).</param>
public sealed record TsneMaps(
    IReadOnlyList<string> SeedIds, RowMajorMatrix Dnn, RowMajorMatrix Human, int[] Dominant, IReadOnlyList<string> Labels, double Perplexity, (double Dnn, double Human) KlDivergence)
{
    /// <summary>The file name of the maps' table.</summary>
    public const string FileName = "tsne.parquet";

    /// <summary>
    /// Both maps, as analysis.md section 12 states (scikit-learn's defaults, seeded). The perplexity is 30 unless the
    /// study has too few seeds for it; then <c>(n - 1) / 3</c>, so that every seed has its <c>3 perplexity</c> neighbours.
    /// </summary>
    public static TsneMaps Compute(IReadOnlyList<string> seedIds, RotatedScores scores, ulong seed, int threads, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seedIds);
        ArgumentNullException.ThrowIfNull(scores);
        var n = scores.Dnn.Rows;
        var perplexity = Math.Min(30.0, Math.Max(1.0, (n - 1) / 3.0));
        var options = new TsneOptions { Seed = seed, Threads = threads, Perplexity = perplexity };
        var dnn = Tsne.Embed(scores.Dnn, options, cancellationToken);
        var human = Tsne.Embed(scores.Human, options, cancellationToken);
        var dominant = new int[n];
        for (var i = 0; i < n; i++)
        {
            for (var d = 1; d < scores.Labels.Count; d++)
            {
                if (scores.Dnn[i, d] > scores.Dnn[i, dominant[i]])
                {
                    dominant[i] = d;
                }
            }
        }

        return new TsneMaps(seedIds, dnn.Embedding, human.Embedding, dominant, scores.Labels, perplexity, (dnn.KlDivergence, human.KlDivergence));
    }

    /// <summary>Writes <c>seed_id</c>, <c>dnn_x</c>, <c>dnn_y</c>, <c>human_x</c>, <c>human_y</c>, <c>dominant</c> (the label).</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken) => ParquetTableWriter.WriteAsync(
        path,
        [
            new ParquetColumn("seed_id", SeedIds.ToArray()),
            new ParquetColumn("dnn_x", Dnn.Column(0)),
            new ParquetColumn("dnn_y", Dnn.Column(1)),
            new ParquetColumn("human_x", Human.Column(0)),
            new ParquetColumn("human_y", Human.Column(1)),
            new ParquetColumn("dominant", Dominant.Select(d => Labels[d]).ToArray()),
        ],
        cancellationToken);
}
