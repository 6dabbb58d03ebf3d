using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using FaceCluster.Tables;
using SkiaSharp;

namespace FaceCluster.Studies.Tests;

/// <summary>
/// Writes a study folder in a fresh temporary folder: study.json, images and ratings tables (Parquet or CSV, real
/// files) and small real PNG images for every image path. Rows start from <see cref="Tiny"/>, a hand-computable
/// study, and tests edit them to plant one problem at a time.
/// </summary>
public sealed class StudyFolderBuilder : IDisposable
{
    public static readonly string[] ImageColumns = ["image_id", "kind", "seed_id", "country", "participant_id", "path"];
    public static readonly string[] RatingColumns = ["event_id", "rater_id", "country", "image_id", "phase", "concept", "intensity"];

    public StudyFolderBuilder()
    {
        Root = Directory.CreateTempSubdirectory("facecluster-study-tests-").FullName;
        Path = System.IO.Path.Combine(Root, "study");
        Directory.CreateDirectory(Path);
    }

    /// <summary>The temporary folder holding the study folder (and anything a test puts beside it).</summary>
    public string Root { get; }

    /// <summary>The study folder.</summary>
    public string Path { get; }

    /// <summary>The text of study.json, or null to write none.</summary>
    public string? Manifest { get; set; } = """
        {
          "name": "tiny",
          "countries": ["CN", "US"],
          "concepts": ["Anger", "Joy", "Fear"],
          "languages": {"CN": "zh", "US": "en"}
        }
        """;

    /// <summary>Image rows: image_id, kind, seed_id, country, participant_id, path (null: a null or empty cell).</summary>
    public List<string?[]> Images { get; } = [];

    /// <summary>Rating rows: event_id, rater_id, country, image_id, phase, concept, intensity (as text).</summary>
    public List<string?[]> Ratings { get; } = [];

    /// <summary>Image paths for which no file is written.</summary>
    public HashSet<string> SkipImageFiles { get; } = [];

    /// <summary>
    /// The tiny study: seeds s1, s2; mimics m1 (s1, CN), m2 (s1, US), m3 (s2, CN), m4 (s2, US), m5 (s1, CN); eight
    /// events, some selecting one concept, some several; e8 is a perceiver in the US rating m1, a Chinese mimic.
    /// </summary>
    public static StudyFolderBuilder Tiny()
    {
        var study = new StudyFolderBuilder();
        study.Images.AddRange(
        [
            ["s1", "seed", "s1", null, null, "images/s1.png"],
            ["s2", "seed", "s2", null, null, "images/s2.png"],
            ["m1", "mimic", "s1", "CN", "p1", "images/m1.png"],
            ["m2", "mimic", "s1", "US", "p2", "images/m2.png"],
            ["m3", "mimic", "s2", "CN", "p3", "images/m3.png"],
            ["m4", "mimic", "s2", "US", "p4", "images/m4.png"],
            ["m5", "mimic", "s1", "CN", "p5", "images/m5.png"],
        ]);
        study.Ratings.AddRange(
        [
            ["e1", "p1", "CN", "m1", "self_report", "Anger", "50"],
            ["e1", "p1", "CN", "m1", "self_report", "Joy", "20"],
            ["e2", "r1", "CN", "m1", "perceiver", "Anger", "30"],
            ["e3", "p2", "US", "m2", "self_report", "Fear", "80"],
            ["e4", "p3", "CN", "m3", "self_report", "Joy", "40"],
            ["e5", "p4", "US", "m4", "self_report", "Anger", "10"],
            ["e5", "p4", "US", "m4", "self_report", "Joy", "10"],
            ["e5", "p4", "US", "m4", "self_report", "Fear", "10"],
            ["e6", "r2", "US", "m4", "perceiver", "Joy", "70"],
            ["e7", "p5", "CN", "m5", "self_report", "Anger", "10"],
            ["e7", "p5", "CN", "m5", "self_report", "Fear", "60"],
            ["e8", "r3", "US", "m1", "perceiver", "Joy", "90"],
        ]);
        return study;
    }

    /// <summary>The 1-based data row of the first rating row matching <paramref name="match"/>.</summary>
    public int RatingRow(Func<string?[], bool> match) => Ratings.FindIndex(r => match(r)) + 1;

    /// <summary>The 1-based data row of image <paramref name="id"/>.</summary>
    public int ImageRow(string id) => Images.FindIndex(r => r[0] == id) + 1;

    /// <summary>Writes everything; tables as Parquet (ratings in row groups of <paramref name="ratingsPerGroup"/>) or CSV.</summary>
    public async Task<string> WriteAsync(bool csv = false, int ratingsPerGroup = ParquetTableWriter.DefaultRowsPerGroup)
    {
        if (Manifest is not null)
        {
            await File.WriteAllTextAsync(System.IO.Path.Combine(Path, "study.json"), Manifest);
        }

        foreach (var table in new[] { "images", "ratings" })
        {
            File.Delete(System.IO.Path.Combine(Path, table + (csv ? ".parquet" : ".csv")));
        }

        if (csv)
        {
            await WriteCsvAsync("images.csv", ImageColumns, Images);
            await WriteCsvAsync("ratings.csv", RatingColumns, Ratings);
        }
        else
        {
            await WriteImagesParquetAsync();
            await WriteRatingsParquetAsync(ratingsPerGroup);
        }

        foreach (var image in Images)
        {
            if (image[5] is { } path && !SkipImageFiles.Contains(path) && !System.IO.Path.IsPathRooted(path) && !path.Contains("..", StringComparison.Ordinal))
            {
                var file = System.IO.Path.Combine(Path, path);
                if (!File.Exists(file) && !Directory.Exists(file))
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
                    await File.WriteAllBytesAsync(file, Png(8, 8));
                }
            }
        }

        return Path;
    }

    /// <summary>Writes the images table as Parquet with the given columns (for schema tests).</summary>
    public Task WriteImagesParquetAsync(IReadOnlyList<ParquetColumn>? columns = null) =>
        ParquetTableWriter.WriteAsync(
            System.IO.Path.Combine(Path, "images.parquet"),
            columns ?? [.. ImageColumns.Select((name, j) => new ParquetColumn(name, Images.Select(r => r[j]).ToArray()))]);

    private Task WriteRatingsParquetAsync(int rowsPerGroup)
    {
        var columns = new List<ParquetColumn>();
        for (var j = 0; j < 6; j++)
        {
            columns.Add(new ParquetColumn(RatingColumns[j], Ratings.Select(r => r[j]).ToArray()));
        }

        columns.Add(new ParquetColumn(
            "intensity",
            Ratings.Select(r => r[6] is null ? (double?)null : double.Parse(r[6]!, CultureInfo.InvariantCulture)).ToArray()));
        return ParquetTableWriter.WriteAsync(System.IO.Path.Combine(Path, "ratings.parquet"), columns, rowsPerGroup);
    }

    private Task WriteCsvAsync(string name, string[] header, List<string?[]> rows)
    {
        var text = new StringBuilder();
        text.Append(string.Join(',', header)).Append("\r\n");
        foreach (var row in rows)
        {
            text.Append(string.Join(',', row.Select(InvariantText.CsvField))).Append("\r\n");
        }

        return File.WriteAllTextAsync(System.IO.Path.Combine(Path, name), text.ToString());
    }

    /// <summary>A real PNG of the given size.</summary>
    public static byte[] Png(int width, int height) => Encode(width, height, SKEncodedImageFormat.Png);

    /// <summary>A real JPEG of the given size, noisy so that it has some length.</summary>
    public static byte[] Jpeg(int width, int height) => Encode(width, height, SKEncodedImageFormat.Jpeg);

    private static byte[] Encode(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height);
        var random = new Random(7);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            }
        }

        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>
    /// A PNG whose header says <paramref name="width"/> x <paramref name="height"/> (one row of pixel data follows):
    /// a few hundred bytes that would take gigabytes to decode.
    /// </summary>
    public static byte[] HeaderOnlyPng(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 2;
        Chunk(png, "IHDR", header);
        using (var data = new MemoryStream())
        {
            using (var zlib = new ZLibStream(data, CompressionLevel.Optimal, leaveOpen: true))
            {
                zlib.Write(new byte[1 + (width * 3)]);
            }

            Chunk(png, "IDAT", data.ToArray());
        }

        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var body = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(body);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(body));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
