namespace FaceCluster.Learning.Data;

/// <summary>
/// Turns a crop's bytes (<c>160 x 160 x 3</c>, HWC RGB) into the network's input (<c>3 x 160 x 160</c> floats, CHW).
/// </summary>
/// <remarks>
/// Interim copy: the shared <c>FaceNormalization</c> of FaceCluster.Vision (branch mtcnn) does the same; once that is on
/// main, this class should call it and be removed.
/// <list type="bullet">
/// <item><c>prewhiten</c> (facenet-pytorch's <c>prewhiten</c>): <c>(x - mean) / max(std, 1 / sqrt(N))</c> over all
/// <c>N = 3 x 160 x 160</c> values of the face, <c>std</c> unbiased (divided by <c>N - 1</c>).</item>
/// <item><c>fixed</c> (facenet-pytorch's <c>fixed_image_standardization</c>): <c>(x - 127.5) / 128</c>.</item>
/// </list>
/// </remarks>
public static class FaceNormalizer
{
    /// <summary>Per-face standardisation.</summary>
    public const string Prewhiten = "prewhiten";

    /// <summary>The fixed affine map.</summary>
    public const string Fixed = "fixed";

    /// <summary>Whether <paramref name="mode"/> is a known normalisation.</summary>
    public static bool IsKnown(string? mode) => mode is Prewhiten or Fixed;

    /// <summary>Normalises one face from HWC bytes into CHW floats; both spans hold <c>3 x size x size</c> values.</summary>
    /// <exception cref="ArgumentException">The spans differ in length, are not of three channels, or the mode is unknown.</exception>
    public static void Normalize(ReadOnlySpan<byte> hwc, Span<float> chw, string mode)
    {
        if (hwc.Length != chw.Length || hwc.Length % 3 != 0)
        {
            throw new ArgumentException($"a face of {hwc.Length} bytes does not fill {chw.Length} floats of 3 channels");
        }

        var plane = hwc.Length / 3;
        double offset, scale;
        switch (mode)
        {
            case Fixed:
                offset = 127.5;
                scale = 1 / 128.0;
                break;
            case Prewhiten:
                {
                    long sum = 0;
                    foreach (var value in hwc)
                    {
                        sum += value;
                    }

                    var mean = (double)sum / hwc.Length;
                    double squares = 0;
                    foreach (var value in hwc)
                    {
                        var d = value - mean;
                        squares += d * d;
                    }

                    var std = Math.Sqrt(squares / (hwc.Length - 1));
                    offset = mean;
                    scale = 1 / Math.Max(std, 1 / Math.Sqrt(hwc.Length));
                    break;
                }

            default:
                throw new ArgumentException($"unknown normalisation '{mode}'; expected {Prewhiten} or {Fixed}", nameof(mode));
        }

        for (var p = 0; p < plane; p++)
        {
            var source = p * 3;
            chw[p] = (float)((hwc[source] - offset) * scale);
            chw[plane + p] = (float)((hwc[source + 1] - offset) * scale);
            chw[(2 * plane) + p] = (float)((hwc[source + 2] - offset) * scale);
        }
    }
}
