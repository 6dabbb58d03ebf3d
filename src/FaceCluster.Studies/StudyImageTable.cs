using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>A face's box in pixels (study-format.md, <c>face_x1, face_y1, face_x2, face_y2</c>).</summary>
/// <param name="X1">Left edge.</param>
/// <param name="Y1">Top edge.</param>
/// <param name="X2">Right edge.</param>
/// <param name="Y2">Bottom edge.</param>
public readonly record struct FaceBox(double X1, double Y1, double X2, double Y2);

/// <summary>
/// One row of the images table as written (values are not checked here; see <see cref="StudyValidator"/>):
/// null stands for a null (Parquet) or empty (CSV) cell.
/// </summary>
/// <param name="Row">The 1-based data row.</param>
/// <param name="ImageId">Unique id of the image.</param>
/// <param name="Kind"><c>seed</c> or <c>mimic</c>.</param>
/// <param name="SeedId">The seed the image is (seeds: equal to <paramref name="ImageId"/>) or imitates (mimics).</param>
/// <param name="Country">The country of the person who made the mimic (null for seeds).</param>
/// <param name="ParticipantId">Who made the mimic (null for seeds).</param>
/// <param name="Path">The image file, relative to the study folder.</param>
/// <param name="Face">The face's box when all four <c>face_*</c> values are given, else null.</param>
public sealed record StudyImage(
    long Row, string? ImageId, string? Kind, string? SeedId, string? Country, string? ParticipantId, string? Path, FaceBox? Face)
{
    /// <summary>The <c>kind</c> value of seed images.</summary>
    public const string SeedKind = "seed";

    /// <summary>The <c>kind</c> value of mimics.</summary>
    public const string MimicKind = "mimic";

    /// <summary>Whether the row says it is a seed.</summary>
    public bool IsSeed => Kind == SeedKind;

    /// <summary>Whether the row says it is a mimic.</summary>
    public bool IsMimic => Kind == MimicKind;
}

/// <summary>
/// The images table of a study (<c>images.parquet</c> or <c>images.csv</c>; study-format.md): one row per seed or
/// mimic. It is small enough (about 450,000 rows at paper scale) to hold in memory. Only the columns of the format
/// are read; extra columns are ignored.
/// </summary>
public sealed class StudyImageTable
{
    /// <summary>The required columns, in format order.</summary>
    public static readonly IReadOnlyList<string> RequiredColumns = ["image_id", "kind", "seed_id", "country", "participant_id", "path"];

    /// <summary>The optional face-box columns.</summary>
    public static readonly IReadOnlyList<string> FaceColumns = ["face_x1", "face_y1", "face_x2", "face_y2"];

    private static readonly ColumnSpec[] Specs =
    [
        .. RequiredColumns.Select(name => new ColumnSpec(name, ColumnKind.Text, Required: true)),
        .. FaceColumns.Select(name => new ColumnSpec(name, ColumnKind.Number, Required: false)),
    ];

    private StudyImageTable(string file, List<StudyImage> images, bool hasFaceBoxes)
    {
        File = file;
        Images = images;
        HasFaceBoxes = hasFaceBoxes;
    }

    /// <summary>The file the table was read from, as named in problems.</summary>
    public string File { get; }

    /// <summary>The rows, in file order (rows the reader had to skip, such as CSV rows with the wrong number of fields, are left out).</summary>
    public IReadOnlyList<StudyImage> Images { get; }

    /// <summary>Whether the file has the face-box columns.</summary>
    public bool HasFaceBoxes { get; }

    /// <summary>Reads the images table at <paramref name="path"/> (<c>.parquet</c> or <c>.csv</c>).</summary>
    /// <exception cref="InvalidInputException">
    /// The file is missing or unreadable, lacks a required column, has a column of the wrong type, or (CSV) a row
    /// with the wrong number of fields. Values are not checked: use <see cref="StudyValidator"/>.
    /// </exception>
    public static async Task<StudyImageTable> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var log = new StudyProblemLog(1, [path]);
        var table = await ReadAsync(path, path, log, cancellationToken).ConfigureAwait(false);
        var (problems, _) = log.Snapshot();
        if (problems.FirstOrDefault(p => p.IsError) is { } error)
        {
            throw InvalidInputException.InFile(path, error.Message, (int?)error.Row, error.Column);
        }

        return table!;
    }

    /// <summary>Reads the table, recording problems of the file itself in <paramref name="log"/>; null when it cannot be read.</summary>
    internal static async Task<StudyImageTable?> ReadAsync(string path, string file, StudyProblemLog log, CancellationToken cancellationToken)
    {
        var reader = await TableBatchReader.OpenAsync(path, file, Specs, log, cancellationToken).ConfigureAwait(false);
        if (reader is null)
        {
            return null;
        }

        await using (reader.ConfigureAwait(false))
        {
            var images = new List<StudyImage>();
            var hasFaces = FaceColumns.Select((_, k) => reader.Present[RequiredColumns.Count + k]).ToArray();
            if (hasFaces.Any(p => p) && !hasFaces.All(p => p))
            {
                log.Warning(
                    StudyProblemKind.InvalidFaceBox, file, null, null,
                    $"has only some of the face-box columns ({string.Join(", ", FaceColumns.Where((_, k) => hasFaces[k]))}); all four or none are expected; ignored");
            }

            var faces = hasFaces.All(p => p);
            var pool = new Dictionary<string, string>(StringComparer.Ordinal);
            try
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } batch)
                {
                    Add(batch, images, faces, pool, file, log);
                }
            }
            catch (InvalidInputException e)
            {
                log.Error(StudyProblemKind.TableUnreadable, file, e.Row, e.Column, TableBatchReader.Problem(e, path));
                return null;
            }

            return new StudyImageTable(file, images, faces);
        }
    }

    private static void Add(TableBatch batch, List<StudyImage> images, bool faces, Dictionary<string, string> pool, string file, StudyProblemLog log)
    {
        var skip = new HashSet<int>();
        foreach (var (index, message) in batch.Malformed ?? [])
        {
            log.Error(StudyProblemKind.FieldCount, file, batch.FirstRow + index, null, message);
            skip.Add(index);
        }

        var text = Enumerable.Range(0, RequiredColumns.Count).Select(batch.Text).ToArray();
        var box = faces ? Enumerable.Range(RequiredColumns.Count, FaceColumns.Count).Select(j => batch.Number(j)!).ToArray() : null;
        for (var i = 0; i < batch.Count; i++)
        {
            if (skip.Contains(i))
            {
                continue;
            }

            var row = batch.FirstRow + i;
            FaceBox? face = null;
            if (box is not null)
            {
                face = ReadFace(box, i, row, file, log);
            }

            // Kinds, seeds and countries repeat across rows; the readers make a string per cell, so share them.
            images.Add(new StudyImage(row, text[0][i], Shared(pool, text[1][i]), Shared(pool, text[2][i]), Shared(pool, text[3][i]), text[4][i], text[5][i], face));
        }
    }

    private static string? Shared(Dictionary<string, string> pool, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (pool.TryGetValue(value, out var shared))
        {
            return shared;
        }

        pool[value] = value;
        return value;
    }

    private static FaceBox? ReadFace(NumberColumn[] box, int i, long row, string file, StudyProblemLog log)
    {
        var missing = 0;
        for (var k = 0; k < box.Length; k++)
        {
            switch (box[k].States[i])
            {
                case NumberState.Missing:
                    missing++;
                    break;
                case NumberState.NotNumber:
                    log.Warning(StudyProblemKind.InvalidFaceBox, file, row, FaceColumns[k], $"\"{box[k].Texts![i]}\" is not a number; the face box is ignored");
                    return null;
            }
        }

        if (missing == box.Length)
        {
            return null;
        }

        if (missing > 0)
        {
            log.Warning(StudyProblemKind.InvalidFaceBox, file, row, null, "only some of face_x1, face_y1, face_x2, face_y2 are given; the face box is ignored");
            return null;
        }

        var face = new FaceBox(box[0].Values[i], box[1].Values[i], box[2].Values[i], box[3].Values[i]);
        if (!(double.IsFinite(face.X1) && double.IsFinite(face.Y1) && double.IsFinite(face.X2) && double.IsFinite(face.Y2))
            || face.X2 <= face.X1 || face.Y2 <= face.Y1)
        {
            log.Warning(StudyProblemKind.InvalidFaceBox, file, row, null, FormattableString.Invariant($"face box ({face.X1}, {face.Y1}, {face.X2}, {face.Y2}) is empty or inverted (need x1 < x2 and y1 < y2); ignored"));
            return null;
        }

        return face;
    }
}
