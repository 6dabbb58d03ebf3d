namespace FaceCluster.Analysis;

/// <summary>What a stream of random draws is for; part of every stream's key (analysis.md section 10).</summary>
public enum RandomPurpose : ulong
{
    /// <summary>Resamples of the dimension bootstrap of the all-rows analysis (section 4).</summary>
    DimensionBootstrap = 1,

    /// <summary>The row sample of one loading-significance replicate (section 7).</summary>
    ReplicateSample = 2,

    /// <summary>Resamples of the inner dimension bootstrap inside one replicate (section 7).</summary>
    InnerBootstrap = 3,

    /// <summary>Generated example and benchmark data.</summary>
    SyntheticData = 4,

    /// <summary>The random starting map of a t-SNE embedding (section 12) when it is not initialised by PCA.</summary>
    TsneInitialization = 5,
}

/// <summary>
/// xoshiro256** (Blackman and Vigna 2018) whose state is expanded by SplitMix64 from a key
/// <c>(run seed, purpose, replicate, stream)</c>. Every draw of FaceCluster comes from such a
/// stream, so results never depend on threads, silos or the order in which work completes.
/// </summary>
public struct SeededRandom
{
    /// <summary>The generator's name as recorded in <c>summary.json</c>.</summary>
    public const string Description =
        "xoshiro256** seeded by SplitMix64 over (seed, purpose, replicate, stream); uniform integers by Lemire's unbiased multiply-shift";

    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>The stream for <c>(seed, purpose, replicate, stream)</c>.</summary>
    public SeededRandom(ulong seed, RandomPurpose purpose, long replicate, long stream = 0)
    {
        // Mix the key through SplitMix64 steps so that nearby keys give unrelated states.
        var x = SplitMix(seed ^ 0x6A09E667F3BCC908UL);
        x = SplitMix(x ^ (ulong)purpose);
        x = SplitMix(x ^ (ulong)replicate);
        x = SplitMix(x ^ (ulong)stream);
        var state = x;
        _s0 = Next(ref state);
        _s1 = Next(ref state);
        _s2 = Next(ref state);
        _s3 = Next(ref state);

        static ulong Next(ref ulong s)
        {
            s += 0x9E3779B97F4A7C15UL;
            return SplitMix(s);
        }
    }

    /// <summary>The next 64 uniform bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in <c>[0, bound)</c>, without modulo bias.</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var b = (ulong)bound;
        var product = Math.BigMul(NextUInt64(), b, out var low);
        if (low < b)
        {
            var threshold = (0UL - b) % b;
            while (low < threshold)
            {
                product = Math.BigMul(NextUInt64(), b, out low);
            }
        }

        return (int)product;
    }

    /// <summary>A uniform double in <c>[0, 1)</c> with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw (Box-Muller, one of the pair).</summary>
    public double NextGaussian()
    {
        double u;
        do
        {
            u = NextDouble();
        }
        while (u <= double.Epsilon);

        var v = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * v);
    }

    private static ulong SplitMix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
