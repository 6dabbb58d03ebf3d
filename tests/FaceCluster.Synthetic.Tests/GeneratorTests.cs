using System.Text.Json;
using FaceCluster.Tables;
using SkiaSharp;

namespace FaceCluster.Synthetic.Tests;

public sealed class GeneratorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("facecluster-synthetic-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly SyntheticStudyOptions Small = new() { Seeds = 7, MimicsPerSeed = 8 };

    private Task<SyntheticStudySummary> Generate(SyntheticStudyOptions options, string name, bool overwrite = false) =>
        SyntheticStudyGenerator.GenerateAsync(SyntheticStudy.Create(options), Path.Combine(_folder, name), overwrite, null, Ct);

    private static SortedDictionary<string, byte[]> Files(string folder) => new(
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes),
        StringComparer.Ordinal);

    [Fact]
    public async Task The_same_seed_gives_the_same_bytes_in_every_file_whatever_the_threads()
    {
        await Generate(Small with { Threads = 1 }, "one");
        await Generate(Small with { Threads = 2 }, "two");
        await Generate(Small with { Threads = 2 }, "again");
        await Generate(Small with { Threads = 2, Seed = 2 }, "other");

        var one = Files(Path.Combine(_folder, "one"));
        Assert.Equal(4 + 7 + 7 * 8, one.Count);
        foreach (var name in new[] { "two", "again" })
        {
            var other = Files(Path.Combine(_folder, name));
            Assert.Equal(one.Keys, other.Keys);
            foreach (var (file, bytes) in one)
            {
                Assert.True(bytes.AsSpan().SequenceEqual(other[file]), $"{name}/{file} differs");
            }
        }

        Assert.NotEqual(one["ratings.parquet"], Files(Path.Combine(_folder, "other"))["ratings.parquet"]);
    }

    [Fact]
    public async Task The_folder_follows_the_study_format()
    {
        var summary = await Generate(Small, "study");
        var root = summary.Folder;

        Assert.Equal(["images", "images.parquet", "ratings.parquet", "study.json", "truth.json"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_folder).Select(Path.GetFileName), n => n!.StartsWith('.'));

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "study.json"), Ct));
        var countries = manifest.RootElement.GetProperty("countries").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var concepts = manifest.RootElement.GetProperty("concepts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(EmotionConcepts.Countries, countries);
        Assert.Equal(EmotionConcepts.All, concepts);
        Assert.Equal("am", manifest.RootElement.GetProperty("languages").GetProperty("ET").GetString());
        Assert.False(string.IsNullOrEmpty(manifest.RootElement.GetProperty("name").GetString()));

        var images = await ParquetTableReader.ReadAllAsync(Path.Combine(root, "images.parquet"), Ct);
        Assert.Equal(
            ["image_id", "kind", "seed_id", "country", "participant_id", "path", "face_x1", "face_y1", "face_x2", "face_y2"],
            images.Columns.Select(c => c.Name));
        var ratings = await ParquetTableReader.ReadAllAsync(Path.Combine(root, "ratings.parquet"), Ct);
        Assert.Equal(["event_id", "rater_id", "country", "image_id", "phase", "concept", "intensity"], ratings.Columns.Select(c => c.Name));

        string?[] Text(ParquetTable table, string column) => (string?[])table.FindColumn(column)!.Values;
        double[] Numbers(ParquetTable table, string column) => (double[])table.FindColumn(column)!.Values;

        var imageIds = Text(images, "image_id");
        var kinds = Text(images, "kind");
        var seedIds = Text(images, "seed_id");
        var imageCountries = Text(images, "country");
        var participants = Text(images, "participant_id");
        var paths = Text(images, "path");
        Assert.Equal(7 + 7 * 8, images.RowCount);
        Assert.Equal(images.RowCount, imageIds.Distinct().Count());
        var seeds = imageIds.Where((_, i) => kinds[i] == "seed").Select(id => id!).ToHashSet();
        Assert.Equal(7, seeds.Count);
        for (var i = 0; i < images.RowCount; i++)
        {
            Assert.Contains(kinds[i], new[] { "seed", "mimic" });
            Assert.Contains(seedIds[i]!, seeds);
            if (kinds[i] == "seed")
            {
                Assert.Equal(imageIds[i], seedIds[i]);
                Assert.Null(imageCountries[i]);
                Assert.Null(participants[i]);
            }
            else
            {
                Assert.Contains(imageCountries[i], countries);
                Assert.StartsWith(imageCountries[i] + "-", participants[i], StringComparison.Ordinal);
            }

            var path = paths[i]!;
            Assert.False(Path.IsPathRooted(path), path);
            Assert.DoesNotContain("..", path.Split('/'));
            Assert.StartsWith("images/", path, StringComparison.Ordinal);
            var file = Path.Combine(root, path);
            using var codec = SKCodec.Create(file);
            Assert.Equal(SKEncodedImageFormat.Jpeg, codec.EncodedFormat);
            Assert.InRange(codec.Info.Width, 160, 320);
            Assert.InRange(codec.Info.Height, 160, 320);
            Assert.InRange(Numbers(images, "face_x1")[i], 0, Numbers(images, "face_x2")[i] - 20);
            Assert.InRange(Numbers(images, "face_x2")[i], 0, codec.Info.Width);
            Assert.InRange(Numbers(images, "face_y1")[i], 0, Numbers(images, "face_y2")[i] - 20);
            Assert.InRange(Numbers(images, "face_y2")[i], 0, codec.Info.Height);
        }

        // Participants make several mimics, of different seeds.
        var mimicsByParticipant = participants.Where(p => p is not null).GroupBy(p => p).ToArray();
        Assert.Contains(mimicsByParticipant, g => g.Count() > 1);

        // Ratings: events on mimics, raters of the mimic's country, intensities in range, every (seed, country) covered.
        var mimicIndex = Enumerable.Range(0, images.RowCount).Where(i => kinds[i] == "mimic").ToDictionary(i => imageIds[i]!, i => i);
        var ratingImages = Text(ratings, "image_id");
        var phases = Text(ratings, "phase");
        var ratingCountries = Text(ratings, "country");
        var ratedConcepts = Text(ratings, "concept");
        var intensities = Numbers(ratings, "intensity");
        var events = Text(ratings, "event_id");
        var raters = Text(ratings, "rater_id");
        var covered = new HashSet<(string, string, string)>();
        for (var r = 0; r < ratings.RowCount; r++)
        {
            Assert.True(mimicIndex.TryGetValue(ratingImages[r]!, out var image), $"{ratingImages[r]} is not a mimic");
            Assert.Equal(imageCountries[image], ratingCountries[r]);
            Assert.Contains(phases[r], new[] { "self_report", "perceiver" });
            Assert.Contains(ratedConcepts[r], concepts);
            Assert.InRange(intensities[r], 0, 100);
            if (phases[r] == "self_report")
            {
                Assert.Equal(participants[image], raters[r]);
            }

            covered.Add((seedIds[image]!, ratingCountries[r]!, phases[r]!));
        }

        foreach (var seed in seeds)
        {
            foreach (var country in countries)
            {
                Assert.Contains((seed, country, "self_report"), covered);
                Assert.Contains((seed, country, "perceiver"), covered);
            }
        }

        Assert.Equal(summary.Events, events.Distinct().Count());
        Assert.Equal(7 * 8 * 3, summary.Events);

        // Sparse selection: most concepts unselected in an event.
        Assert.True(ratings.RowCount < 0.2 * summary.Events * concepts.Length);
    }

    [Fact]
    public async Task Truth_records_the_planted_dimensions_and_the_universal_ones()
    {
        var summary = await Generate(Small with { Dimensions = 9, Universal = 6, Concepts = 20, Countries = ["US", "CN", "VE"] }, "truth");
        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(summary.Folder, "truth.json"), Ct));
        var root = truth.RootElement;

        Assert.Equal(SyntheticStudyGenerator.Version, root.GetProperty("version").GetString());
        Assert.Equal(9, root.GetProperty("parameters").GetProperty("dimensions").GetInt32());
        var dimensions = root.GetProperty("dimensions").EnumerateArray().ToArray();
        Assert.Equal(9, dimensions.Length);
        var universal = root.GetProperty("universal_dimensions").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(6, universal.Length);
        foreach (var dimension in dimensions)
        {
            var meanings = dimension.GetProperty("meanings");
            var perCountry = new[] { "US", "CN", "VE" }.Select(c => string.Join(",", meanings.GetProperty(c).EnumerateObject().Select(p => p.Name))).ToArray();
            Assert.NotEmpty(dimension.GetProperty("pattern").EnumerateObject());
            if (dimension.GetProperty("universal").GetBoolean())
            {
                Assert.Contains(dimension.GetProperty("name").GetString(), universal);
                Assert.Single(perCountry.Distinct());
            }
            else
            {
                Assert.True(perCountry.Distinct().Count() > 1);
            }
        }

        Assert.Equal(7, root.GetProperty("seeds").GetArrayLength());
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(summary.Folder, "study.json"), Ct));
        Assert.Equal(20, manifest.RootElement.GetProperty("concepts").GetArrayLength());
        Assert.Equal(["US", "CN", "VE"], manifest.RootElement.GetProperty("countries").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_existing_folder_is_kept_unless_overwriting_is_asked()
    {
        var existing = Path.Combine(_folder, "existing");
        Directory.CreateDirectory(existing);
        await File.WriteAllTextAsync(Path.Combine(existing, "keep.txt"), "mine", Ct);

        await Assert.ThrowsAsync<InvalidInputException>(() => Generate(Small, "existing"));
        Assert.Equal(["keep.txt"], Directory.EnumerateFileSystemEntries(existing).Select(Path.GetFileName));

        await Generate(Small with { Seeds = 2 }, "existing", overwrite: true);
        Assert.True(File.Exists(Path.Combine(existing, "study.json")));
        Assert.False(File.Exists(Path.Combine(existing, "keep.txt")));
    }

    [Fact]
    public async Task A_cancelled_run_leaves_nothing_behind()
    {
        using var cancellation = new CancellationTokenSource();
        var study = SyntheticStudy.Create(Small with { Seeds = 40 });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            SyntheticStudyGenerator.GenerateAsync(study, Path.Combine(_folder, "cancelled"), false, _ => cancellation.Cancel(), cancellation.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder));
    }
}
