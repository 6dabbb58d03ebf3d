namespace FaceCluster.Vision;

/// <summary>
/// Turns a face crop (HWC RGB bytes, as <see cref="FaceCrop.Extract(RgbImage, FaceBox, int, int)"/> gives) into the
/// CHW float tensor data a face-recognition network takes.
/// </summary>
public static class FaceNormalization
{
    /// <summary>The name of <see cref="Prewhiten"/> in crop manifests and model settings.</summary>
    public const string PrewhitenMode = "prewhiten";

    /// <summary>The name of <see cref="FixedStandardization"/> in crop manifests and model settings.</summary>
    public const string FixedMode = "fixed";

    /// <summary>Whether <paramref name="mode"/> names a normalisation.</summary>
    public static bool IsKnown(string? mode) => mode is PrewhitenMode or FixedMode;

    /// <summary>
    /// facenet-pytorch's <c>prewhiten</c>: <c>(x - mean) / max(std, 1 / sqrt(N))</c> over all N = 3 * H * W values,
    /// with the unbiased standard deviation (N - 1, as <c>torch.std</c>). Mean and deviation are summed in double; the
    /// result is CHW (channel planes R, G, B).
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 3 of at least two pixels.</exception>
    public static float[] Prewhiten(ReadOnlySpan<byte> hwc)
    {
        var chw = new float[hwc.Length];
        Normalize(hwc, chw, PrewhitenMode);
        return chw;
    }

    /// <summary>facenet-pytorch's <c>fixed_image_standardization</c>: <c>(x - 127.5) / 128</c>, CHW.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of 3 of at least two pixels.</exception>
    public static float[] FixedStandardization(ReadOnlySpan<byte> hwc)
    {
        var chw = new float[hwc.Length];
        Normalize(hwc, chw, FixedMode);
        return chw;
    }

    /// <summary>
    /// Writes the normalisation <paramref name="mode"/> (<see cref="PrewhitenMode"/> or <see cref="FixedMode"/>) of
    /// <paramref name="hwc"/> into <paramref name="chw"/> (same length) without allocating: the form training batches use.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ or are not a multiple of 3 of at least two pixels, or the mode is unknown.</exception>
    public static void Normalize(ReadOnlySpan<byte> hwc, Span<float> chw, string mode)
    {
        if (hwc.Length < 6 || hwc.Length % 3 != 0 || chw.Length != hwc.Length)
        {
            throw new ArgumentException(
                $"expected HWC RGB bytes of at least two pixels (a multiple of 3) and as many floats, got {hwc.Length} bytes and {chw.Length} floats",
                nameof(hwc));
        }

        double offset, scale;
        switch (mode)
        {
            case FixedMode:
                offset = 127.5;
                scale = 1 / 128.0;
                break;
            case PrewhitenMode:
                double sum = 0;
                foreach (var v in hwc)
                {
                    sum += v;
                }

                var n = hwc.Length;
                offset = sum / n;
                double squares = 0;
                foreach (var v in hwc)
                {
                    var d = v - offset;
                    squares += d * d;
                }

                scale = 1.0 / Math.Max(Math.Sqrt(squares / (n - 1)), 1.0 / Math.Sqrt(n));
                break;
            default:
                throw new ArgumentException($"unknown normalisation '{mode}'; expected {PrewhitenMode} or {FixedMode}", nameof(mode));
        }

        // 256 possible bytes: map each once.
        Span<float> table = stackalloc float[256];
        for (var v = 0; v < 256; v++)
        {
            table[v] = (float)((v - offset) * scale);
        }

        var pixels = hwc.Length / 3;
        for (var p = 0; p < pixels; p++)
        {
            chw[p] = table[hwc[3 * p]];
            chw[pixels + p] = table[hwc[(3 * p) + 1]];
            chw[(2 * pixels) + p] = table[hwc[(3 * p) + 2]];
        }
    }
}
