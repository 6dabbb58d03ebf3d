using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

/// <summary>Crop opens no file outside the study folder and decodes no image over the limits (issue 12).</summary>
public sealed class CropConfinementTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-crop-confine-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<string> StudyAsync()
    {
        var study = Path.Combine(_root, "study");
        await SyntheticStudyGenerator.GenerateAsync(
            SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 1, MimicsPerSeed = 6, Seed = 3, Threads = 1 }), study, overwrite: false, cancellationToken: Ct);
        return study;
    }

    /// <summary>Sets the <c>path</c> of data row <paramref name="row"/> (1-based) of the study's images.parquet.</summary>
    private static async Task SetPathAsync(string study, int row, string path)
    {
        var file = Path.Combine(study, "images.parquet");
        var table = await ParquetTableReader.ReadAllAsync(file, Ct);
        var paths = (string?[])table.FindColumn("path")!.Values;
        paths[row - 1] = path;
        await ParquetTableWriter.WriteAsync(file, table.Columns, Ct);
    }

    [Theory]
    [InlineData("absolute")]
    [InlineData("parent")]
    [InlineData("symlink")]
    public async Task A_path_leaving_the_study_folder_is_refused_and_no_shard_is_written(string trick)
    {
        var study = await StudyAsync();
        var first = (string?[])(await ParquetTableReader.ReadAllAsync(Path.Combine(study, "images.parquet"), Ct)).FindColumn("path")!.Values;
        var outside = Path.Combine(_root, "outside.png");
        File.Copy(Path.Combine(study, first[0]!), outside);
        var path = trick switch
        {
            "absolute" => outside,
            "parent" => "../outside.png",
            _ => "images/escape.png",
        };
        if (trick == "symlink")
        {
            File.CreateSymbolicLink(Path.Combine(study, "images", "escape.png"), outside);
        }

        await SetPathAsync(study, 3, path);
        var output = Path.Combine(_root, "crops");

        var run = await CliRun.Of("crop", study, "--out", output, "--shard-size", "2");

        Assert.True(run.ExitCode == 2, run.Error);
        var line = Assert.Single(run.ErrorLines);
        Assert.Contains("images.parquet: row 3, column \"path\": ", line, StringComparison.Ordinal);
        Assert.Contains(
            trick switch { "absolute" => "is absolute", "parent" => "contains \"..\"", _ => "leaves the study folder through a symbolic link" },
            line,
            StringComparison.Ordinal);
        var shards = Path.Combine(output, CropSet.ShardFolderName);
        Assert.False(Directory.Exists(shards) && Directory.EnumerateFiles(shards, "*.parquet").Any(), "a shard was written");
    }

    [Fact]
    public async Task An_image_over_the_size_limit_is_recorded_too_large_without_decoding()
    {
        var study = await StudyAsync();
        await File.WriteAllBytesAsync(Path.Combine(study, "images", "huge.png"), HugePng(16_000, 16_000), Ct);
        await SetPathAsync(study, 2, "images/huge.png");
        var output = Path.Combine(_root, "crops");

        // --max-megapixels above the hard limit: the hard limit (100 MP) still holds.
        var run = await CliRun.Of("crop", study, "--out", output, "--max-megapixels", "1000");

        Assert.True(run.ExitCode == 0, run.Error);
        var records = await CropSet.Open(output).ReadAllAsync(Ct).ToListAsync(Ct);
        var huge = records[1];
        Assert.Equal("too_large", huge.Status);
        Assert.Contains("16000 x 16000", huge.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// A PNG whose header says <paramref name="width"/> x <paramref name="height"/> (one row of pixel data follows):
    /// a few hundred bytes that would take gigabytes to decode.
    /// </summary>
    internal static byte[] HugePng(int width, int height)
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
