namespace FaceCluster.Learning.Data;

/// <summary>
/// Seeded permutations (SplitMix64 and Fisher-Yates): the same seed and stream give the same order on every machine and
/// .NET version, which <see cref="Random"/> does not promise.
/// </summary>
public static class SeededShuffle
{
    /// <summary>A 64-bit mix of <paramref name="seed"/> and <paramref name="stream"/> (SplitMix64's finaliser).</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed + (0x9E3779B97F4A7C15UL * (stream + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Shuffles <paramref name="items"/> in place with the stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static void Shuffle<T>(Span<T> items, ulong seed, ulong stream)
    {
        var state = Mix(seed, stream);
        for (var i = items.Length - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            var j = (int)(z % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A torch seed (non-negative 63-bit) for the stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static long TorchSeed(ulong seed, ulong stream) => (long)(Mix(seed, stream) >> 1);
}
