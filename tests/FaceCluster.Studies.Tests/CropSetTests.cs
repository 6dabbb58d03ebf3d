using FaceCluster.Studies.Crops;
using FaceCluster.Tables;

namespace FaceCluster.Studies.Tests;

public sealed class CropSetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-crops-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static FaceCropRecord Cropped(string id, byte fill) => new(
        id, "mimic", "s1", CropStatus.Ok, null, 640, 480, 2, new CropBox(10.5f, 20, 110, 140.25f), 0.998f,
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Enumerable.Repeat(fill, 160 * 160 * 3).ToArray());

    private static FaceCropRecord Failed(string id) => new(id, "seed", id, CropStatus.Corrupt, "truncated JPEG", 0, 0, 0, null, null, null, null);

    private static CropSetManifest Manifest(int images) => new(
        CropSetManifest.CurrentFormat, "study", "/data/study", images, 2, 160, 0, "prewhiten", "probable", 20, [0.6, 0.7, 0.7], 0.709, false);

    [Fact]
    public async Task A_shard_round_trips_every_field()
    {
        var records = new[] { Cropped("m1", 7), Failed("s9") };
        var path = Path.Combine(_folder, CropShard.FileName(0, 2));
        await CropShard.WriteAsync(path, records, TestContext.Current.CancellationToken);

        var read = await CropShard.ReadAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(2, read.Count);
        Assert.Equal(records[0] with { Landmarks = null, Pixels = null }, read[0] with { Landmarks = null, Pixels = null });
        Assert.Equal(records[0].Landmarks, read[0].Landmarks);
        Assert.Equal(records[0].Pixels, read[0].Pixels);
        Assert.Equal(records[1], read[1]);
    }

    [Fact]
    public async Task A_set_knows_its_missing_ranges_and_reads_only_when_complete()
    {
        await Manifest(5).WriteAsync(_folder, TestContext.Current.CancellationToken);
        Directory.CreateDirectory(CropSet.ShardFolder(_folder));
        await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(_folder), CropShard.FileName(2, 4)), [Cropped("a", 1), Cropped("b", 2)], TestContext.Current.CancellationToken);

        var partial = CropSet.Open(_folder);
        Assert.Equal([(0, 2), (4, 5)], partial.MissingRanges());
        var error = await Assert.ThrowsAsync<InvalidInputException>(async () =>
        {
            await foreach (var _ in partial.ReadAllAsync(TestContext.Current.CancellationToken))
            {
            }
        });
        Assert.Contains("rows 0..1", error.Message, StringComparison.Ordinal);

        await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(_folder), CropShard.FileName(0, 2)), [Failed("x"), Cropped("y", 3)], TestContext.Current.CancellationToken);
        await CropShard.WriteAsync(Path.Combine(CropSet.ShardFolder(_folder), CropShard.FileName(4, 5)), [Cropped("z", 4)], TestContext.Current.CancellationToken);
        var complete = CropSet.Open(_folder);
        Assert.True(complete.IsComplete);
        var ids = new List<string>();
        await foreach (var record in complete.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(record.ImageId);
        }

        Assert.Equal(["x", "y", "a", "b", "z"], ids);
        Assert.True(complete.Manifest.SameSettings(Manifest(5) with { StudyFolder = "/elsewhere" }));
        Assert.False(complete.Manifest.SameSettings(Manifest(5) with { Margin = 20 }));
    }

    [Fact]
    public void A_folder_without_a_manifest_is_refused_with_its_path()
    {
        var error = Assert.Throws<InvalidInputException>(() => CropSet.Open(_folder));
        Assert.Contains(CropSetManifest.FileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shard_with_68_landmarks_round_trips_them_and_one_without_has_no_such_columns()
    {
        var ct = TestContext.Current.CancellationToken;
        var marks = Enumerable.Range(0, FaceCropRecord.Landmark68Values).Select(i => 100 + (i * 0.25f)).ToArray();
        var records = new[] { Cropped("m1", 7) with { Landmarks68 = marks }, Failed("s9") };
        var with = Path.Combine(_folder, CropShard.FileName(0, 2));
        await CropShard.WriteAsync(with, records, ct);
        var without = Path.Combine(_folder, CropShard.FileName(2, 4));
        await CropShard.WriteAsync(without, [Cropped("m1", 7), Failed("s9")], ct);

        var read = await CropShard.ReadAsync(with, ct);
        Assert.Equal(marks, read[0].Landmarks68);
        Assert.Null(read[1].Landmarks68);
        var columns = (await ParquetTableReader.ReadAllAsync(with, ct)).Columns.Select(c => c.Name).ToArray();
        Assert.Equal(CropShard.Landmark68ColumnNames, columns.Where(c => c.StartsWith("landmark68_", StringComparison.Ordinal)));
        Assert.Equal(["landmark68_x1", "landmark68_y1"], CropShard.Landmark68ColumnNames.Take(2));
        Assert.Equal("landmark68_y68", CropShard.Landmark68ColumnNames[^1]);

        // Without the option: the columns are absent and the records read with no 68 landmarks.
        Assert.DoesNotContain((await ParquetTableReader.ReadAllAsync(without, ct)).Columns, c => c.Name.StartsWith("landmark68_", StringComparison.Ordinal));
        Assert.All(await CropShard.ReadAsync(without, ct), r => Assert.Null(r.Landmarks68));

        await Assert.ThrowsAsync<ArgumentException>(() => CropShard.WriteAsync(
            Path.Combine(_folder, CropShard.FileName(4, 5)), [Cropped("m2", 1) with { Landmarks68 = [1, 2] }], ct));
    }

    [Fact]
    public async Task The_manifest_records_the_landmark_option_only_when_it_is_on()
    {
        var ct = TestContext.Current.CancellationToken;
        await Manifest(5).WriteAsync(_folder, ct);
        Assert.DoesNotContain("landmarks68", await File.ReadAllTextAsync(Path.Combine(_folder, CropSetManifest.FileName), ct), StringComparison.Ordinal);
        Assert.False(CropSetManifest.Read(_folder).Landmarks68);

        await (Manifest(5) with { Landmarks68 = true }).WriteAsync(_folder, ct);
        Assert.Contains("\"landmarks68\": true", await File.ReadAllTextAsync(Path.Combine(_folder, CropSetManifest.FileName), ct), StringComparison.Ordinal);
        var read = CropSetManifest.Read(_folder);
        Assert.True(read.Landmarks68);
        Assert.False(read.SameSettings(Manifest(5)));
    }
    /// <summary>
    /// A shard written without the 68 landmarks is byte for byte what the crop stage wrote before the option existed
    /// (the SHA-256 was taken with that version of <see cref="CropShard"/>).
    /// </summary>
    [Fact]
    public async Task A_shard_without_68_landmarks_is_byte_for_byte_as_before_the_option()
    {
        var path = Path.Combine(_folder, CropShard.FileName(0, 2));
        await CropShard.WriteAsync(path, [Cropped("m1", 7), Failed("s9")], TestContext.Current.CancellationToken);
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken)));
        Assert.Equal("5692f721766a91c769f54d10f29c0b476a244171b4d6924e87819b3d28235db9", digest);
    }
}
