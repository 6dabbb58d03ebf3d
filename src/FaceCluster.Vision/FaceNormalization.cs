namespace FaceCluster.Vision;

/// <summary>
/// Turns a face crop (HWC RGB bytes, as <see cref="FaceCrop.Extract(RgbImage, FaceBox, int, int)"/> gives) into the
/// CHW float tensor data a face-recognition network takes.
/// </summary>
public static class FaceNormalization
{
    /// <summary>
    /// facenet-pytorch's <c>prewhiten</c>: <c>(x - mean) / max(std, 1 / sqrt(N))</c> over all N = 3 * H * W values,
    /// with the unbiased standard deviation (N - 1, as <c>torch.std</c>). Mean and deviation are summed in double; the
    /// result is CHW (channel planes R, G, B).
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of 3, or is 3 (no deviation).</exception>
    public static float[] Prewhiten(ReadOnlySpan<byte> hwc)
    {
        CheckLength(hwc);
        double sum = 0;
        foreach (var v in hwc)
        {
            sum += v;
        }

        var n = hwc.Length;
        var mean = sum / n;
        double squares = 0;
        foreach (var v in hwc)
        {
            var d = v - mean;
            squares += d * d;
        }

        var std = Math.Sqrt(squares / (n - 1));
        var scale = 1.0 / Math.Max(std, 1.0 / Math.Sqrt(n));
        return ToChw(hwc, v => (float)((v - mean) * scale));
    }

    /// <summary>
    /// facenet-pytorch's <c>fixed_image_standardization</c>: <c>(x - 127.5) / 128</c> for every value; CHW output.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of 3.</exception>
    public static float[] FixedStandardization(ReadOnlySpan<byte> hwc)
    {
        CheckLength(hwc);
        return ToChw(hwc, v => (v - 127.5f) / 128f);
    }

    private static float[] ToChw(ReadOnlySpan<byte> hwc, Func<byte, float> map)
    {
        var table = new float[256];
        for (var v = 0; v < 256; v++)
        {
            table[v] = map((byte)v);
        }

        var pixels = hwc.Length / 3;
        var chw = new float[hwc.Length];
        for (var p = 0; p < pixels; p++)
        {
            chw[p] = table[hwc[3 * p]];
            chw[pixels + p] = table[hwc[(3 * p) + 1]];
            chw[(2 * pixels) + p] = table[hwc[(3 * p) + 2]];
        }

        return chw;
    }

    private static void CheckLength(ReadOnlySpan<byte> hwc)
    {
        if (hwc.Length < 6 || hwc.Length % 3 != 0)
        {
            throw new ArgumentException($"expected HWC RGB bytes of at least two pixels (a multiple of 3), got {hwc.Length} bytes", nameof(hwc));
        }
    }
}
