using System.Text.Json;
using FaceCluster.Learning.Data;
using FaceCluster.Learning.Model;
using FaceCluster.Learning.Tests.Support;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Torch;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Tests;

/// <summary>
/// The staging pipeline (reader, trunk and writer overlapping) against the plain loop it replaced: the trunk's output
/// computed batch by batch on this thread, with the same batches.
/// </summary>
public sealed class StagingTests(TinyStudy study, ITestOutputHelper output)
{
    /// <summary>5 faces a batch: the 24 mimics of the small crop set make four full batches and a short one.</summary>
    private const int TrunkBatch = 5;

    /// <summary>libtorch threads of staging and of the reference: sums over another count differ in the last bits.</summary>
    private const int Threads = 2;

    /// <summary>
    /// With <paramref name="batchStatistics"/> the trunk's BatchNorm layers normalise by the batch (training mode), so a
    /// face's features depend on the faces batched with it: equal bytes then also show the batches are the same.
    /// </summary>
    [Theory]
    [InlineData(RowElement.Float32, false)]
    [InlineData(RowElement.Float16, false)]
    [InlineData(RowElement.Float32, true)]
    public async Task The_pipeline_writes_the_same_cache_bytes_as_the_trunk_batch_by_batch(RowElement element, bool batchStatistics)
    {
        var (crops, targets, model) = await OpenAsync();
        using (model)
        {
            if (batchStatistics)
            {
                model.Network.train();
            }

            var expected = await ReferenceAsync(crops, model, element);
            var work = study.NewFolder("staging");
            var (samples, rows) = await StageAsync(crops, targets, work, model, element, TestContext.Current.CancellationToken);
            rows.Dispose();

            Assert.Equal(24, samples.Count);
            Assert.Equal(expected.Length, new FileInfo(rows.Path).Length);
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(rows.Path)), "the staged rows differ from the trunk's output batch by batch");
        }
    }

    [Fact]
    public async Task The_pipeline_stages_pixels_as_they_are()
    {
        var (crops, targets, model) = await OpenAsync();
        model.Dispose();
        var expected = new List<byte>();
        await foreach (var record in Mimics(crops))
        {
            expected.AddRange(record.Pixels!);
        }

        var (samples, rows) = await StageAsync(crops, targets, study.NewFolder("pixels"), null, RowElement.UInt8, TestContext.Current.CancellationToken);
        rows.Dispose();
        Assert.Equal(24, samples.Count);
        Assert.True(expected.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(rows.Path)));
    }

    /// <summary>
    /// Cancelled by the reader in its third batch, when the first two may be anywhere between the trunk and the disk, or
    /// once the sidecar records them both (so that the rerun resumes after them rather than starting again).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cancelled_staging_leaves_only_rows_it_recorded_and_a_rerun_finishes_the_same_bytes(bool afterTwoBatchesRecorded)
    {
        var (crops, targets, model) = await OpenAsync();
        using (model)
        {
            var expected = await ReferenceAsync(crops, model, RowElement.Float32);
            var work = study.NewFolder("cancelled");
            var dataPath = SampleStaging.DataPath(work, SampleStaging.FeaturesKind, RowElement.Float32);
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            var calls = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => StageAsync(
                crops, targets, work, model, RowElement.Float32, cancel.Token, (_, _) =>
                {
                    if (++calls != 12)
                    {
                        return;
                    }

                    var waited = System.Diagnostics.Stopwatch.StartNew();
                    while (afterTwoBatchesRecorded && ReadInfo(dataPath).RowsDone < 2 * TrunkBatch)
                    {
                        Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "the first two batches were never recorded");
                        Thread.Sleep(20);
                    }

                    cancel.Cancel();
                }));

            var info = ReadInfo(dataPath);
            var rowBytes = InceptionResnetV1.TrunkFeatures * sizeof(float);
            var written = File.ReadAllBytes(dataPath);
            output.WriteLine($"cancelled with {info.RowsDone} rows recorded and {written.Length / rowBytes} in the file");
            Assert.False(info.Complete);
            if (afterTwoBatchesRecorded)
            {
                Assert.Equal(2 * TrunkBatch, info.RowsDone);
            }

            Assert.Null(info.Samples);
            Assert.True(info.RowsDone * rowBytes <= written.Length, $"the sidecar records {info.RowsDone} rows, the file holds {written.Length / rowBytes}");
            Assert.True(expected.AsSpan(0, (int)info.RowsDone * rowBytes).SequenceEqual(written.AsSpan(0, (int)info.RowsDone * rowBytes)));

            // The rerun keeps the recorded rows, cuts anything after them and stages the rest in the same batches as before.
            var (samples, rows) = await StageAsync(crops, targets, work, model, RowElement.Float32, TestContext.Current.CancellationToken);
            rows.Dispose();
            Assert.Equal(24, samples.Count);
            var resumed = File.ReadAllBytes(dataPath);
            var tail = (int)info.RowsDone * rowBytes;
            Assert.Equal(expected.Length, resumed.Length);
            Assert.True(expected.AsSpan(0, tail).SequenceEqual(resumed.AsSpan(0, tail)));
            Assert.True((await ReferenceAsync(crops, model, RowElement.Float32, skip: (int)info.RowsDone)).AsSpan().SequenceEqual(resumed.AsSpan(tail)));
            Assert.True(ReadInfo(dataPath).Complete);
        }
    }

    [Fact]
    public async Task A_failing_stage_stops_the_others_and_its_error_is_reported()
    {
        var (crops, targets, model) = await OpenAsync();
        using (model)
        {
            var work = study.NewFolder("failing");
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StageAsync(
                crops, targets, work, model, RowElement.Float32, TestContext.Current.CancellationToken, (_, _) => throw new InvalidOperationException("observer failed")));
            Assert.Equal("observer failed", error.Message);
        }
    }

    private static SampleStaging.CacheInfo ReadInfo(string dataPath) =>
        JsonSerializer.Deserialize<SampleStaging.CacheInfo>(File.ReadAllText(dataPath + ".json"), AtomicFile.JsonOptions)!;

    private async Task<(CropSet Crops, SeedTargets Targets, FaceMeaningNet Model)> OpenAsync()
    {
        TorchRuntime.Initialize();
        var targets = await SeedTargets.ReadAsync(study.StudyFolder, study.TargetsPath, TestContext.Current.CancellationToken);
        var model = FaceMeaningNet.Create(targets.Width, seed: 3);
        model.EvalMode();
        return (CropSet.Open(study.SmallCropsFolder), targets, model);
    }

    private static Task<(StagedSamples Samples, RowFile Rows)> StageAsync(
        CropSet crops, SeedTargets targets, string work, FaceMeaningNet? model, RowElement element, CancellationToken cancellationToken, Action<long, long>? progress = null) =>
        SampleStaging.StageAsync(
            crops, targets, work, model, CPU, element, crops.Manifest.Normalization, TrunkBatch, Threads, "test trunk", progress, cancellationToken, saveEveryRows: TrunkBatch);

    /// <summary>The mimics staging keeps, in crop order (every mimic of the small set with a crop has targets).</summary>
    private static async IAsyncEnumerable<FaceCropRecord> Mimics(CropSet crops)
    {
        await foreach (var record in crops.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            if (record.Kind == "mimic" && CropStatus.HasCrop(record.Status) && record.Pixels is not null)
            {
                yield return record;
            }
        }
    }

    /// <summary>What the sequential staging wrote: the trunk on each batch of <see cref="TrunkBatch"/> mimics after the first <paramref name="skip"/>, on this thread.</summary>
    private static async Task<byte[]> ReferenceAsync(CropSet crops, FaceMeaningNet model, RowElement element, int skip = 0)
    {
        var bytes = new List<byte>();
        var pending = new List<byte[]>();
        void Flush()
        {
            TorchRuntime.UseThreads(Threads);
            using var scope = NewDisposeScope();
            var features = model.Trunk(SampleStaging.Faces(pending, crops.Manifest.Normalization)).contiguous();
            var stored = element == RowElement.Float16 ? features.to(ScalarType.Float16) : features;
            bytes.AddRange(stored.contiguous().bytes.ToArray());
            pending.Clear();
        }

        var index = 0;
        await foreach (var record in Mimics(crops))
        {
            if (index++ < skip)
            {
                continue;
            }

            pending.Add(record.Pixels!);
            if (pending.Count == TrunkBatch)
            {
                Flush();
            }
        }

        if (pending.Count > 0)
        {
            Flush();
        }

        return [.. bytes];
    }
}
