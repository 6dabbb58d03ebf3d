using System.Globalization;
using FaceCluster.Tables;

namespace FaceCluster.Studies.Crops;

/// <summary>
/// A crop shard: the <see cref="FaceCropRecord"/>s of a contiguous range of rows of the images table, as one Parquet
/// file named by its range (<c>crops-00000000-00000256.parquet</c>). A shard is written to a temporary file and renamed,
/// so a present shard is a finished range.
/// </summary>
/// <remarks>
/// Columns: <c>image_id</c>, <c>kind</c>, <c>seed_id</c>, <c>status</c>, <c>reason</c>, <c>image_width</c>,
/// <c>image_height</c>, <c>faces_found</c>, <c>box_x1</c>, <c>box_y1</c>, <c>box_x2</c>, <c>box_y2</c>,
/// <c>probability</c>, <c>landmark_x1</c>, <c>landmark_y1</c> .. <c>landmark_x5</c>, <c>landmark_y5</c>, <c>pixels</c>;
/// then, only in shards cropped with the 68-landmark option (when some record has <see cref="FaceCropRecord.Landmarks68"/>),
/// the nullable floats <c>landmark68_x1</c>, <c>landmark68_y1</c> .. <c>landmark68_x68</c>, <c>landmark68_y68</c>
/// (image pixels; null in rows without a detected face). Shards without them read with a null
/// <see cref="FaceCropRecord.Landmarks68"/>.
/// </remarks>
public static class CropShard
{
    /// <summary>Rows per Parquet row group: a group of 64 crops is about 5 MB.</summary>
    public const int RowsPerGroup = 64;

    private static readonly string[] LandmarkColumns =
        Enumerable.Range(1, 5).SelectMany(i => new[] { $"landmark_x{i}", $"landmark_y{i}" }).ToArray();

    private static readonly string[] Landmark68Columns =
        Enumerable.Range(1, FaceCropRecord.Landmark68Values / 2).SelectMany(i => new[] { $"landmark68_x{i}", $"landmark68_y{i}" }).ToArray();

    /// <summary>The names of the 68-landmark columns, <c>landmark68_x1</c>, <c>landmark68_y1</c> .. <c>landmark68_y68</c>.</summary>
    public static IReadOnlyList<string> Landmark68ColumnNames => Landmark68Columns;

    /// <summary>The file name of the shard holding image rows <c>[start, end)</c>.</summary>
    public static string FileName(int start, int end) =>
        string.Create(CultureInfo.InvariantCulture, $"crops-{start:D8}-{end:D8}.parquet");

    /// <summary>Parses a shard file name into its row range, or returns false.</summary>
    public static bool TryParseFileName(string fileName, out int start, out int end)
    {
        start = end = 0;
        var parts = Path.GetFileName(fileName).Split('-', '.');
        return parts.Length == 4 && parts[0] == "crops" && parts[3] == "parquet"
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out start)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out end)
            && end > start;
    }

    /// <summary>Writes <paramref name="records"/> to <paramref name="path"/> (temporary file, then rename).</summary>
    public static Task WriteAsync(string path, IReadOnlyList<FaceCropRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        float? Box(Func<CropBox, float> part, FaceCropRecord r) => r.Box is { } b ? part(b) : null;
        var columns = new List<ParquetColumn>
        {
            new("image_id", records.Select(r => r.ImageId).ToArray()),
            new("kind", records.Select(r => r.Kind).ToArray()),
            new("seed_id", records.Select(r => r.SeedId).ToArray()),
            new("status", records.Select(r => r.Status).ToArray()),
            new("reason", records.Select(r => r.Reason).ToArray()),
            new("image_width", records.Select(r => r.ImageWidth).ToArray()),
            new("image_height", records.Select(r => r.ImageHeight).ToArray()),
            new("faces_found", records.Select(r => r.FacesFound).ToArray()),
            new("box_x1", records.Select(r => Box(b => b.X1, r)).ToArray()),
            new("box_y1", records.Select(r => Box(b => b.Y1, r)).ToArray()),
            new("box_x2", records.Select(r => Box(b => b.X2, r)).ToArray()),
            new("box_y2", records.Select(r => Box(b => b.Y2, r)).ToArray()),
            new("probability", records.Select(r => r.Probability).ToArray()),
        };
        for (var j = 0; j < LandmarkColumns.Length; j++)
        {
            var index = j;
            columns.Add(new ParquetColumn(LandmarkColumns[j], records.Select(r => r.Landmarks is { } l ? l[index] : (float?)null).ToArray()));
        }

        columns.Add(new ParquetColumn("pixels", records.Select(r => r.Pixels).ToArray()));
        // Only when asked for: shards cropped without the option stay byte for byte as before.
        if (records.Any(r => r.Landmarks68 is not null))
        {
            foreach (var r in records)
            {
                if (r.Landmarks68 is { Length: not FaceCropRecord.Landmark68Values })
                {
                    throw new ArgumentException($"image {r.ImageId}: {r.Landmarks68.Length} landmark values, expected {FaceCropRecord.Landmark68Values}", nameof(records));
                }
            }

            for (var j = 0; j < Landmark68Columns.Length; j++)
            {
                var index = j;
                columns.Add(new ParquetColumn(Landmark68Columns[j], records.Select(r => r.Landmarks68 is { } l ? l[index] : (float?)null).ToArray()));
            }
        }

        return ParquetTableWriter.WriteAsync(path, columns, RowsPerGroup, cancellationToken);
    }

    /// <summary>Reads every record of a shard.</summary>
    /// <exception cref="InvalidInputException">The file is not a crop shard (a column is missing or mistyped).</exception>
    public static async Task<IReadOnlyList<FaceCropRecord>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        var table = await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        T[] Column<T>(string name)
        {
            var column = table.FindColumn(name)
                ?? throw new InvalidInputException($"{path}: not a crop shard: column \"{name}\" is missing.");
            return column.Values as T[]
                ?? throw new InvalidInputException($"{path}: not a crop shard: column \"{name}\" holds {column.Values.GetType().GetElementType()}, expected {typeof(T)}.");
        }

        var ids = Column<string?>("image_id");
        var kinds = Column<string?>("kind");
        var seeds = Column<string?>("seed_id");
        var statuses = Column<string?>("status");
        var reasons = Column<string?>("reason");
        var widths = Column<int>("image_width");
        var heights = Column<int>("image_height");
        var faces = Column<int>("faces_found");
        var x1 = Column<float?>("box_x1");
        var y1 = Column<float?>("box_y1");
        var x2 = Column<float?>("box_x2");
        var y2 = Column<float?>("box_y2");
        var probabilities = Column<float?>("probability");
        var landmarks = LandmarkColumns.Select(Column<float?>).ToArray();
        var pixels = Column<byte[]?>("pixels");
        var landmarks68 = table.FindColumn(Landmark68Columns[0]) is null ? null : Landmark68Columns.Select(Column<float?>).ToArray();

        var records = new FaceCropRecord[table.RowCount];
        for (var i = 0; i < records.Length; i++)
        {
            CropBox? box = x1[i] is { } a && y1[i] is { } b && x2[i] is { } c && y2[i] is { } d ? new CropBox(a, b, c, d) : null;
            float[]? marks = landmarks[0][i] is null ? null : landmarks.Select(l => l[i] ?? float.NaN).ToArray();
            float[]? marks68 = landmarks68 is null || landmarks68[0][i] is null ? null : landmarks68.Select(l => l[i] ?? float.NaN).ToArray();
            records[i] = new FaceCropRecord(
                ids[i] ?? throw new InvalidInputException($"{path}: row {i + 1}: image_id is null."),
                kinds[i] ?? "",
                seeds[i] ?? "",
                statuses[i] ?? throw new InvalidInputException($"{path}: row {i + 1}: status is null."),
                reasons[i],
                widths[i],
                heights[i],
                faces[i],
                box,
                probabilities[i],
                marks,
                pixels[i],
                marks68);
        }

        return records;
    }
}
