namespace FaceCluster.Analysis;

/// <summary>Names of the rotated dimensions in preserved-covariance order (analysis.md section 6).</summary>
public static class DimensionLabels
{
    /// <summary>
    /// The label of the dimension at 0-based <paramref name="index"/>: <c>A..Z</c> for 0..25, <c>Ψ</c> for 26,
    /// <c>Ω</c> for 27, then <c>D29, D30, ...</c> (<c>"D" + (index + 1)</c>).
    /// </summary>
    public static string For(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return index switch
        {
            < 26 => ((char)('A' + index)).ToString(),
            26 => "Ψ",
            27 => "Ω",
            _ => "D" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}
