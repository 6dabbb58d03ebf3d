using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>
/// One row of the ratings table as written: one concept an event's rater selected, with its intensity. Values are
/// not checked here (see <see cref="StudyValidator"/>); null stands for a null (Parquet) or empty (CSV) cell.
/// </summary>
/// <param name="Row">The 1-based data row.</param>
/// <param name="EventId">The rating event (one rater judging one image).</param>
/// <param name="RaterId">The rater.</param>
/// <param name="Country">The rater's country.</param>
/// <param name="ImageId">The image judged.</param>
/// <param name="Phase"><c>self_report</c> or <c>perceiver</c>.</param>
/// <param name="Concept">The concept selected.</param>
/// <param name="Intensity">The intensity, or null when the cell is empty or not a number.</param>
/// <param name="IntensityText">The cell's text when it is not a number (CSV), else null.</param>
public readonly record struct RatingRow(
    long Row, string? EventId, string? RaterId, string? Country, string? ImageId, string? Phase, string? Concept, double? Intensity, string? IntensityText)
{
    /// <summary>The <c>phase</c> of the mimicry phase, where the rater judges the seed they imitate.</summary>
    public const string SelfReport = "self_report";

    /// <summary>The <c>phase</c> of the rating-only phase.</summary>
    public const string Perceiver = "perceiver";
}

/// <summary>A run of consecutive rows of the ratings table (a Parquet row group, or a block of CSV records).</summary>
public sealed class RatingBatch
{
    private readonly TableBatch _batch;
    private readonly HashSet<int>? _malformed;

    internal RatingBatch(TableBatch batch)
    {
        _batch = batch;
        if (batch.Malformed is { } malformed)
        {
            _malformed = [.. malformed.Select(m => m.Index)];
        }
    }

    /// <summary>The 1-based row number of the first row.</summary>
    public long FirstRow => _batch.FirstRow;

    /// <summary>The number of rows, including skipped ones.</summary>
    public int Count => _batch.Count;

    /// <summary>CSV rows with the wrong number of fields: their 1-based row and what is wrong. They have no values.</summary>
    public IEnumerable<(long Row, string Message)> MalformedRows =>
        (_batch.Malformed ?? []).Select(m => (_batch.FirstRow + m.Index, m.Message));

    internal TableBatch Inner => _batch;

    /// <summary>Row <paramref name="index"/> (0-based within the batch); a malformed row comes back with every value null.</summary>
    public RatingRow this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            var row = FirstRow + index;
            if (_malformed?.Contains(index) == true)
            {
                return new RatingRow(row, null, null, null, null, null, null, null, null);
            }

            var intensity = _batch.Number(RatingsReader.IntensityColumn)!;
            var state = intensity.States[index];
            return new RatingRow(
                row,
                _batch.Text(0)[index],
                _batch.Text(1)[index],
                _batch.Text(2)[index],
                _batch.Text(3)[index],
                _batch.Text(4)[index],
                _batch.Text(5)[index],
                state == NumberState.Present ? intensity.Values[index] : null,
                state == NumberState.NotNumber ? intensity.Texts![index] : null);
        }
    }
}

/// <summary>
/// Reads the ratings table of a study (<c>ratings.parquet</c> or <c>ratings.csv</c>; study-format.md) as a stream:
/// one Parquet row group (its columns decoded in parallel), or 65,536 CSV records, at a time, so that tens of
/// millions of rows never sit in memory at once. The next CSV batch is parsed in the background while the caller
/// works on the current one. Only the columns of the format are read. Memory follows the size of the file's row
/// groups: a million-row group of strings takes a few hundred MB while it is decoded.
/// </summary>
/// <example>
/// <code>
/// await using var ratings = await RatingsReader.OpenAsync("study/ratings.parquet", ct);
/// while (await ratings.ReadBatchAsync(ct) is { } batch)
/// {
///     for (var i = 0; i &lt; batch.Count; i++) { var row = batch[i]; ... }
/// }
/// </code>
/// </example>
public sealed class RatingsReader : IAsyncDisposable
{
    /// <summary>The required columns, in format order.</summary>
    public static readonly IReadOnlyList<string> Columns = ["event_id", "rater_id", "country", "image_id", "phase", "concept", "intensity"];

    /// <summary>The position of <c>intensity</c> in <see cref="Columns"/>.</summary>
    internal const int IntensityColumn = 6;

    internal static readonly ColumnSpec[] Specs =
        [.. Columns.Select((name, j) => new ColumnSpec(name, j == IntensityColumn ? ColumnKind.Number : ColumnKind.Text, Required: true))];

    private readonly TableBatchReader _reader;

    private RatingsReader(TableBatchReader reader)
    {
        _reader = reader;
    }

    /// <summary>How much has been read: rows for Parquet, bytes for CSV (see <see cref="CountsRows"/>).</summary>
    public long Completed => _reader.Completed;

    /// <summary>How much there is to read: rows for Parquet, bytes for CSV.</summary>
    public long Total => _reader.Total;

    /// <summary>Whether <see cref="Completed"/> and <see cref="Total"/> count rows (Parquet) rather than bytes (CSV).</summary>
    public bool CountsRows => _reader.CountsRows;

    /// <summary>Opens <paramref name="path"/> (<c>.parquet</c> or <c>.csv</c>) and checks its columns.</summary>
    /// <exception cref="InvalidInputException">The file is missing or unreadable, or a column is missing or of the wrong type.</exception>
    public static async Task<RatingsReader> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var log = new StudyProblemLog(1, [path]);
        var reader = await OpenAsync(path, path, log, cancellationToken).ConfigureAwait(false);
        if (reader is null)
        {
            var error = log.Snapshot().Problems.First(p => p.IsError);
            throw InvalidInputException.InFile(path, error.Message, (int?)error.Row, error.Column);
        }

        return reader;
    }

    /// <summary>Opens the table, recording problems of the file itself in <paramref name="log"/>; null when it cannot be read.</summary>
    internal static async Task<RatingsReader?> OpenAsync(string path, string file, StudyProblemLog log, CancellationToken cancellationToken)
    {
        var reader = await TableBatchReader.OpenAsync(path, file, Specs, log, cancellationToken).ConfigureAwait(false);
        return reader is null ? null : new RatingsReader(reader);
    }

    /// <summary>The next batch of rows, or null at the end of the table.</summary>
    /// <exception cref="InvalidInputException">The file is damaged (Parquet) or malformed (CSV quoting).</exception>
    public async Task<RatingBatch?> ReadBatchAsync(CancellationToken cancellationToken = default) =>
        await _reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } batch ? new RatingBatch(batch) : null;

    /// <summary>Closes the file.</summary>
    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}
