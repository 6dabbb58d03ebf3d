using System.Globalization;
using System.Text;

namespace FaceCluster.Studies;

/// <summary>How serious a <see cref="StudyProblem"/> is.</summary>
public enum StudyProblemSeverity
{
    /// <summary>The study cannot be aggregated as it is (<c>study validate</c> exits with 2).</summary>
    Error,

    /// <summary>Worth a look, but does not stop aggregation.</summary>
    Warning,
}

/// <summary>The kinds of problem <see cref="StudyValidator"/> finds. Printed output is capped per kind; counts cover all.</summary>
public enum StudyProblemKind
{
    /// <summary>The study folder has no <c>study.json</c>.</summary>
    ManifestMissing,

    /// <summary><c>study.json</c> is not valid JSON (the row is the line).</summary>
    ManifestSyntax,

    /// <summary>A field of <c>study.json</c> is missing or invalid.</summary>
    ManifestField,

    /// <summary><c>study.json</c> has a field the format does not define (warning).</summary>
    ManifestUnknownField,

    /// <summary>Neither <c>NAME.parquet</c> nor <c>NAME.csv</c> exists.</summary>
    TableMissing,

    /// <summary>Both <c>NAME.parquet</c> and <c>NAME.csv</c> exist; the Parquet file is used (warning).</summary>
    TableAmbiguous,

    /// <summary>A table file cannot be read (damaged Parquet, malformed CSV, I/O error).</summary>
    TableUnreadable,

    /// <summary>A required column is missing.</summary>
    ColumnMissing,

    /// <summary>A column has the wrong type (Parquet).</summary>
    ColumnType,

    /// <summary>A CSV row has a different number of fields from the header.</summary>
    FieldCount,

    /// <summary>A required value is null or empty.</summary>
    MissingValue,

    /// <summary>A country that is not in <c>study.json</c>.</summary>
    UnknownCountry,

    /// <summary>A concept that is not in <c>study.json</c>.</summary>
    UnknownConcept,

    /// <summary>An image <c>kind</c> other than <c>seed</c> or <c>mimic</c>.</summary>
    InvalidKind,

    /// <summary>A rating <c>phase</c> other than <c>self_report</c> or <c>perceiver</c>.</summary>
    InvalidPhase,

    /// <summary>An intensity that is not a number.</summary>
    IntensityNotNumber,

    /// <summary>An intensity outside 0..100 (or NaN, infinite).</summary>
    IntensityOutOfRange,

    /// <summary>Two image rows with the same <c>image_id</c>.</summary>
    DuplicateImageId,

    /// <summary>A seed row whose <c>seed_id</c> differs from its <c>image_id</c>.</summary>
    SeedIdMismatch,

    /// <summary>A mimic whose <c>seed_id</c> is not an image of kind seed.</summary>
    MissingSeed,

    /// <summary>A seed that no mimic imitates (warning; it also lacks ratings).</summary>
    SeedWithoutMimics,

    /// <summary>A face box that is incomplete or inverted (warning).</summary>
    InvalidFaceBox,

    /// <summary>The study has no seed images.</summary>
    NoSeeds,

    /// <summary>Two rating rows with the same <c>(event_id, concept)</c>.</summary>
    DuplicateRating,

    /// <summary>Rows of one event that disagree on rater, image, country or phase.</summary>
    InconsistentEvent,

    /// <summary>A rating of an <c>image_id</c> that is not in the images table.</summary>
    UnknownImage,

    /// <summary>A rating event on a seed's own image (warning; ignored: only mimics count).</summary>
    RatedSeedImage,

    /// <summary>A self_report event whose country differs from the country of the mimic's maker (warning).</summary>
    SelfReportCountry,

    /// <summary>A seed without <c>self_report</c> events in some country (an error unless incomplete seeds are dropped).</summary>
    IncompleteSeed,

    /// <summary>An image path that is absolute.</summary>
    PathAbsolute,

    /// <summary>An image path with a <c>..</c> segment.</summary>
    PathParent,

    /// <summary>An image path that leaves the study folder through a symbolic link.</summary>
    PathEscapes,

    /// <summary>An image path that does not exist or is not a file.</summary>
    ImageMissing,

    /// <summary>An image that cannot be decoded (corrupt, truncated, not an image).</summary>
    ImageUnreadable,

    /// <summary>An image in a format other than JPEG or PNG (warning).</summary>
    ImageFormat,
}

/// <summary>
/// One problem of a study folder: where it is (the file relative to the study folder, the 1-based data row — the
/// line for <c>study.json</c> — and the column or JSON field) and what is wrong.
/// </summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Kind">What kind of problem it is.</param>
/// <param name="File">The file, relative to the study folder (for example <c>ratings.parquet</c>).</param>
/// <param name="Row">The 1-based data row (the header does not count), the line of <c>study.json</c>, or null.</param>
/// <param name="Column">The column (tables) or field path (<c>study.json</c>, for example <c>countries[2]</c>), or null.</param>
/// <param name="Message">What is wrong, one line.</param>
public sealed record StudyProblem(
    StudyProblemSeverity Severity, StudyProblemKind Kind, string File, long? Row, string? Column, string Message)
{
    /// <summary>Whether this is an error.</summary>
    public bool IsError => Severity == StudyProblemSeverity.Error;

    /// <summary>
    /// The problem as one line, <c>FILE:ROW: error: column "C": MESSAGE</c> (the row and column parts only when
    /// known; <c>field</c> instead of <c>column</c> for <c>study.json</c>).
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder(File);
        if (Row is long row)
        {
            text.Append(':').Append(row.ToString(CultureInfo.InvariantCulture));
        }

        text.Append(": ").Append(Severity == StudyProblemSeverity.Error ? "error" : "warning").Append(": ");
        if (Column is not null)
        {
            var label = File.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "field" : "column";
            text.Append(label).Append(" \"").Append(Column).Append("\": ");
        }

        return text.Append(Message.ReplaceLineEndings(" ")).ToString();
    }
}
