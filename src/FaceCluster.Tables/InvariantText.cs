using System.Globalization;

namespace FaceCluster.Tables;

/// <summary>
/// Culture-independent text for table values, shared by CSV writing and the <c>show</c> command. Doubles and
/// floats are written round-trip (<c>R</c>); NaN and infinities as <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.
/// </summary>
public static class InvariantText
{
    /// <summary>Formats a double so that parsing the text with the invariant culture gives the same value.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// Formats a cell: numbers invariant and round-trip, booleans <c>true</c>/<c>false</c>, dates and times ISO 8601,
    /// byte arrays base64, <see langword="null"/> as the empty string.
    /// </summary>
    public static string Format(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        double d => Format(d),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToBase64String(bytes),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    /// <summary>
    /// Quotes a CSV field as RFC 4180 requires: when it holds a comma, a double quote, CR or LF, it is enclosed in
    /// double quotes and its quotes doubled. <see langword="null"/> becomes the empty field.
    /// </summary>
    public static string CsvField(string? field)
    {
        if (string.IsNullOrEmpty(field))
        {
            return string.Empty;
        }

        return field.AsSpan().IndexOfAny(",\"\r\n") < 0
            ? field
            : string.Concat("\"", field.Replace("\"", "\"\"", StringComparison.Ordinal), "\"");
    }
}
