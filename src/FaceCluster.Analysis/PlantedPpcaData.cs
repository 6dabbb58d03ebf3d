namespace FaceCluster.Analysis;

/// <summary>Settings of <see cref="PlantedPpcaData"/>.</summary>
public sealed record PlantedPpcaOptions
{
    /// <summary>Stimuli (rows).</summary>
    public int Stimuli { get; init; } = 600;

    /// <summary>Countries; attribute names are <c>{country}:{concept}</c>, country-major.</summary>
    public IReadOnlyList<string> Countries { get; init; } = ["CN", "ET", "IN", "ZA", "US", "VE"];

    /// <summary>Concepts per country.</summary>
    public int Concepts { get; init; } = 48;

    /// <summary>Planted dimensions shared by X and Y.</summary>
    public int Dimensions { get; init; } = 12;

    /// <summary>Standard deviation of the independent noise added to every entry of X and Y.</summary>
    public double Noise { get; init; } = 1.0;

    /// <summary>How much each country's loading pattern departs from the shared one (0: identical).</summary>
    public double CountryVariation { get; init; } = 0.25;

    /// <summary>Seed of the generator (stream purpose <see cref="RandomPurpose.SyntheticData"/>).</summary>
    public ulong Seed { get; init; } = 1;
}

/// <summary>A generated PPCA input with a known answer.</summary>
/// <param name="SeedIds">Stimulus ids.</param>
/// <param name="Attributes"><c>{country}:{concept}</c> names, country-major.</param>
/// <param name="X">The "DNN" side.</param>
/// <param name="Y">The "human judgment" side.</param>
/// <param name="Loadings">The planted orthonormal loading patterns (<c>p x K</c>).</param>
/// <param name="Strengths">Standard deviation of each planted latent dimension.</param>
public sealed record PlantedPpcaInput(
    string[] SeedIds, string[] Attributes, RowMajorMatrix X, RowMajorMatrix Y, RowMajorMatrix Loadings, double[] Strengths);

/// <summary>
/// Builds X and Y that share <c>K</c> latent dimensions: <c>X = Z diag(s) Q^T + E_x</c>,
/// <c>Y = Z diag(s) Q^T + E_y</c>, so that their cross-covariance is <c>Q diag(s^2) Q^T</c> plus
/// sampling noise. Each column of Q loads a few concepts, in every country alike up to
/// <see cref="PlantedPpcaOptions.CountryVariation"/>; the strengths are spread so that the planted
/// eigenvalues are well separated. For demos, tests and benchmarks.
/// </summary>
public static class PlantedPpcaData
{
    /// <summary>Generates the input; identical for identical options.</summary>
    public static PlantedPpcaInput Generate(PlantedPpcaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var c = options.Countries.Count;
        var q = options.Concepts;
        var p = c * q;
        var dims = options.Dimensions;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dims, p);
        var random = new SeededRandom(options.Seed, RandomPurpose.SyntheticData, 0);

        var attributes = new string[p];
        for (var a = 0; a < c; a++)
        {
            for (var j = 0; j < q; j++)
            {
                attributes[(a * q) + j] = $"{options.Countries[a]}:{ConceptName(j)}";
            }
        }

        // Sparse shared patterns over concepts, perturbed per country, then orthonormalised.
        var loadings = new RowMajorMatrix(p, dims);
        for (var d = 0; d < dims; d++)
        {
            var shared = new double[q];
            var active = 2 + random.NextInt(3);
            for (var t = 0; t < active; t++)
            {
                shared[random.NextInt(q)] += 0.5 + random.NextDouble();
            }

            for (var a = 0; a < c; a++)
            {
                for (var j = 0; j < q; j++)
                {
                    loadings[(a * q) + j, d] = shared[j] + (options.CountryVariation * 0.3 * random.NextGaussian());
                }
            }
        }

        Orthonormalise(loadings);
        var strengths = new double[dims];
        for (var d = 0; d < dims; d++)
        {
            // Squared strengths evenly spread from 4 * dims down to 4: well-separated eigenvalues.
            strengths[d] = Math.Sqrt(4.0 * (dims - d));
        }

        var n = options.Stimuli;
        var x = new RowMajorMatrix(n, p);
        var y = new RowMajorMatrix(n, p);
        var z = new double[dims];
        var seedIds = new string[n];
        for (var i = 0; i < n; i++)
        {
            seedIds[i] = $"seed{i + 1:D5}";
            for (var d = 0; d < dims; d++)
            {
                z[d] = strengths[d] * random.NextGaussian();
            }

            for (var a = 0; a < p; a++)
            {
                double signal = 0;
                for (var d = 0; d < dims; d++)
                {
                    signal += z[d] * loadings[a, d];
                }

                x[i, a] = signal + (options.Noise * random.NextGaussian());
                y[i, a] = signal + (options.Noise * random.NextGaussian());
            }
        }

        return new PlantedPpcaInput(seedIds, attributes, x, y, loadings, strengths);
    }

    private static string ConceptName(int j) => $"Concept{j + 1:D2}";

    private static void Orthonormalise(RowMajorMatrix m)
    {
        for (var d = 0; d < m.Columns; d++)
        {
            for (var e = 0; e < d; e++)
            {
                double dot = 0;
                for (var a = 0; a < m.Rows; a++)
                {
                    dot += m[a, d] * m[a, e];
                }

                for (var a = 0; a < m.Rows; a++)
                {
                    m[a, d] -= dot * m[a, e];
                }
            }

            double norm = 0;
            for (var a = 0; a < m.Rows; a++)
            {
                norm += m[a, d] * m[a, d];
            }

            norm = Math.Sqrt(norm);
            for (var a = 0; a < m.Rows; a++)
            {
                m[a, d] /= norm;
            }
        }
    }
}
