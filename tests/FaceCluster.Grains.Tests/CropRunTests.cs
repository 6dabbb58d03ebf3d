using FaceCluster.Learning.Grains;
using System.Text.Json;
using FaceCluster.Studies;
using FaceCluster.Studies.Crops;
using FaceCluster.Synthetic;

namespace FaceCluster.Grains.Tests;

/// <summary>Crop runs on real silos with the real MTCNN weights (embedded, or from a folder), on a rendered synthetic study with damaged files planted.</summary>
public sealed class CropRunTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-crop-tests-").FullName;
    private StudyImageTable _images = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CropParameters Settings => new() { Study = "study", ShardSize = 8, BatchSize = 4 };

    private string Study => Path.Combine(_root, "study");

    public async ValueTask InitializeAsync()
    {
        var options = new SyntheticStudyOptions { Seeds = 4, MimicsPerSeed = 6, Seed = 11, Threads = 2 };
        await SyntheticStudyGenerator.GenerateAsync(SyntheticStudy.Create(options), Study, overwrite: false, cancellationToken: Ct);
        _images = await StudyImageTable.ReadAsync(Path.Combine(Study, "images.parquet"), Ct);

        // Damage three mimics: a truncated JPEG, a text file under an image name, and a missing file.
        var mimics = _images.Images.Where(i => i.IsMimic).ToArray();
        var truncated = Path.Combine(Study, mimics[1].Path!);
        var bytes = await File.ReadAllBytesAsync(truncated, Ct);
        await File.WriteAllBytesAsync(truncated, bytes.AsSpan(0, bytes.Length / 3).ToArray(), Ct);
        await File.WriteAllTextAsync(Path.Combine(Study, mimics[5].Path!), "not an image\n", Ct);
        File.Delete(Path.Combine(Study, mimics[9].Path!));
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>The checkout's copy of MTCNN's weights (the source of the copy built into FaceCluster.Vision).</summary>
    internal static string RepositoryModels()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "FaceCluster.sln")))
        {
            folder = folder.Parent;
        }

        return Path.Combine(folder!.FullName, "src", "FaceCluster.Vision", "Weights");
    }

    /// <summary>Silos that read the weights from a folder (FaceCluster:MtcnnModels) rather than the embedded copy.</summary>
    private static void WithModelsFolder(FaceClusterClusterOptions options) => options.MtcnnModels = RepositoryModels();

    private static RunRequest Request(string output, CropParameters? settings = null) =>
        RunParameters.Request(CropRunKind.KindName, output, settings ?? Settings);

    private async Task<List<FaceCropRecord>> ReadAllAsync(string output)
    {
        var records = new List<FaceCropRecord>();
        await foreach (var record in CropSet.Open(Path.Combine(_root, output)).ReadAllAsync(Ct))
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task One_and_three_silos_crop_the_same_faces_and_record_damaged_files()
    {
        // One silo reads the weights from the checkout's folder, three use the embedded copy (the default).
        var outputs = new List<List<FaceCropRecord>>();
        foreach (short silos in new short[] { 1, 3 })
        {
            await using var harness = await ClusterHarness.StartAsync(silos, _root, silos == 1 ? WithModelsFolder : null);
            var output = $"crops-{silos}";
            await harness.Client.GetGrain<IRunCoordinatorGrain>($"crop-{silos}").Start(Request(output));
            var status = await Poll.FinishedAsync(harness.Client, $"crop-{silos}", TimeSpan.FromMinutes(4));
            Assert.True(status.State == RunState.Completed, status.Error);
            var report = await harness.Client.GetGrain<IRunCoordinatorGrain>($"crop-{silos}").GetReport();
            Assert.Equal([CropStages.Prepare, CropStages.Crop, CropStages.Aggregate], report.Stages.Select(s => s.Name));
            Assert.Equal(4, report.Stages[1].Ranges.Count);
            outputs.Add(await ReadAllAsync(output));
        }

        var records = outputs[0];
        Assert.Equal(_images.Images.Select(i => i.ImageId), records.Select(r => r.ImageId));
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(records[i] with { Landmarks = null, Pixels = null }, outputs[1][i] with { Landmarks = null, Pixels = null });
            Assert.Equal(records[i].Pixels, outputs[1][i].Pixels);
        }

        var mimics = _images.Images.Where(i => i.IsMimic).ToArray();
        Assert.Equal(CropStatus.Corrupt, records.Single(r => r.ImageId == mimics[1].ImageId).Status);
        Assert.Equal(CropStatus.Unsupported, records.Single(r => r.ImageId == mimics[5].ImageId).Status);
        Assert.Equal(CropStatus.Unreadable, records.Single(r => r.ImageId == mimics[9].ImageId).Status);

        // The generator promises faces MTCNN finds: at least 95% of intact images, each at the table's box.
        var intact = records.Where(r => r.Status is not (CropStatus.Corrupt or CropStatus.Unsupported or CropStatus.Unreadable)).ToArray();
        var found = 0;
        foreach (var record in intact.Where(r => r.Status == CropStatus.Ok))
        {
            var truth = _images.Images.Single(i => i.ImageId == record.ImageId).Face!.Value;
            var box = record.Box!.Value;
            var iou = new Vision.FaceBox(box.X1, box.Y1, box.X2, box.Y2)
                .IntersectionOverUnion(new Vision.FaceBox((float)truth.X1, (float)truth.Y1, (float)truth.X2, (float)truth.Y2));
            found += iou >= 0.5 ? 1 : 0;
            Assert.Equal(160 * 160 * 3, record.Pixels!.Length);
            Assert.Equal(10, record.Landmarks!.Length);
        }

        Assert.True(found >= 0.95 * intact.Length, $"{found} of {intact.Length} intact images had a face found at the table's box");

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_root, "crops-1", "summary.json"), Ct));
        Assert.Equal(records.Count, summary.RootElement.GetProperty("images").GetInt32());
        Assert.Equal(records.Count(r => r.Status == CropStatus.Ok), summary.RootElement.GetProperty("detected").GetInt32());
    }

    [Fact]
    public async Task A_run_stopped_mid_way_resumes_into_the_same_folder_without_redoing_finished_shards()
    {
        var observer = new RecordingObserver { Hold = (range, _) => range.Stage == CropStages.Crop && range.First >= 8 };
        var firstShard = Path.Combine(_root, "crops", CropSet.ShardFolderName, CropShard.FileName(0, 8));
        await using (var harness = await ClusterHarness.StartAsync(1, _root, observer: observer))
        {
            await harness.Client.GetGrain<IRunCoordinatorGrain>("first").Start(Request("crops"));
            await Poll.UntilAsync(() => File.Exists(firstShard) && observer.Held.Count > 0, "the first shard and a held range", TimeSpan.FromMinutes(3));
        }

        var written = File.GetLastWriteTimeUtc(firstShard);
        var again = new RecordingObserver();
        await using (var harness = await ClusterHarness.StartAsync(1, _root, observer: again))
        {
            // The folder is the unfinished first run's: another run may not write it meanwhile.
            var taken = await Assert.ThrowsAsync<ArgumentException>(() => harness.Client.GetGrain<IRunCoordinatorGrain>("second").Start(Request("crops")).AsTask());
            Assert.Contains("is being written by run first", taken.Message, StringComparison.Ordinal);

            // The interrupted run resumes from its persisted state and only adds the missing shards; a later run into
            // the finished folder computes nothing.
            var resumed = await Poll.FinishedAsync(harness.Client, "first", TimeSpan.FromMinutes(3));
            Assert.True(resumed.State == RunState.Completed, resumed.Error);
            await harness.Client.GetGrain<IRunCoordinatorGrain>("second").Start(Request("crops"));
            var status = await Poll.FinishedAsync(harness.Client, "second", TimeSpan.FromMinutes(3));
            Assert.True(status.State == RunState.Completed, status.Error);

            // A settings change into the same folder is refused, naming the manifest.
            await harness.Client.GetGrain<IRunCoordinatorGrain>("third").Start(Request("crops", Settings with { Margin = 20 }));
            var refused = await Poll.FinishedAsync(harness.Client, "third");
            Assert.Equal(RunState.Failed, refused.State);
            Assert.Contains(CropSetManifest.FileName, refused.Error, StringComparison.Ordinal);
        }

        Assert.Equal(written, File.GetLastWriteTimeUtc(firstShard));
        Assert.DoesNotContain(0, again.Computed(CropStages.Crop).Keys);
        Assert.True(CropSet.Open(Path.Combine(_root, "crops")).IsComplete);
        Assert.Equal(_images.Images.Count, (await ReadAllAsync("crops")).Count);
    }

    /// <summary>
    /// The 68-landmark option: each found face gets the 136 values <see cref="Vision.FaceLandmarker"/> finds in its MTCNN
    /// box of the original image; without it the shards have no such columns, <c>crops.json</c> does not mention it and
    /// the serialised parameters (what pipeline fingerprints hash) are as before.
    /// </summary>
    [Fact]
    public async Task With_the_landmark_option_each_found_face_gets_the_68_landmarks_of_its_box_and_without_it_no_columns()
    {
        await using (var harness = await ClusterHarness.StartAsync(1, _root))
        {
            foreach (var (id, settings) in new[] { ("plain", Settings), ("marked", Settings with { Landmarks = true }) })
            {
                await harness.Client.GetGrain<IRunCoordinatorGrain>(id).Start(Request(id, settings));
                var status = await Poll.FinishedAsync(harness.Client, id, TimeSpan.FromMinutes(4));
                Assert.True(status.State == RunState.Completed, status.Error);
            }
        }

        Assert.DoesNotContain("landmarks", JsonSerializer.Serialize(Settings, RunParameters.Json), StringComparison.Ordinal);
        Assert.Contains("\"landmarks\":true", JsonSerializer.Serialize(Settings with { Landmarks = true }, RunParameters.Json), StringComparison.Ordinal);
        Assert.DoesNotContain("landmarks68", await File.ReadAllTextAsync(Path.Combine(_root, "plain", CropSetManifest.FileName), Ct), StringComparison.Ordinal);
        Assert.True(CropSetManifest.Read(Path.Combine(_root, "marked")).Landmarks68);
        foreach (var (_, _, path) in CropSet.Open(Path.Combine(_root, "plain")).Shards)
        {
            var table = await Tables.ParquetTableReader.ReadAllAsync(path, Ct);
            Assert.DoesNotContain(table.Columns, c => c.Name.StartsWith("landmark68_", StringComparison.Ordinal));
        }

        var plain = await ReadAllAsync("plain");
        var marked = await ReadAllAsync("marked");
        Assert.Equal(plain.Count, marked.Count);
        using var landmarker = Vision.FaceLandmarker.LoadEmbedded();
        var faces = 0;
        for (var i = 0; i < plain.Count; i++)
        {
            Assert.Null(plain[i].Landmarks68);
            Assert.Equal(plain[i] with { Landmarks = null, Pixels = null }, marked[i] with { Landmarks = null, Pixels = null, Landmarks68 = null });
            Assert.Equal(plain[i].Pixels, marked[i].Pixels);
            if (marked[i].Status != CropStatus.Ok)
            {
                Assert.Null(marked[i].Landmarks68);
                continue;
            }

            var values = marked[i].Landmarks68!;
            Assert.Equal(FaceCropRecord.Landmark68Values, values.Length);
            var image = Vision.RgbImage.Decode(Path.Combine(Study, _images.Images.Single(m => m.ImageId == marked[i].ImageId).Path!));
            var box = marked[i].Box!.Value;
            var expected = landmarker.Detect(image, new Vision.FaceBox(box.X1, box.Y1, box.X2, box.Y2)).Points;
            for (var k = 0; k < expected.Count; k++)
            {
                // The same network on the same pixels; libtorch's thread count may reorder sums, hence not bit for bit.
                Assert.Equal(expected[k].X, values[2 * k], 1e-3f);
                Assert.Equal(expected[k].Y, values[(2 * k) + 1], 1e-3f);
            }

            faces++;
        }

        Assert.True(faces >= 20, $"only {faces} faces found");
    }
}
