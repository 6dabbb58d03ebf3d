using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using FaceCluster.Learning.Model;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;
using FaceCluster.Torch;
using FaceCluster.Vision;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Data;

/// <summary>
/// Fills a staged <see cref="RowFile"/> in three overlapping stages: a reader task reads the crop shards, picks the
/// mimics and normalises each batch into a buffer; one thread runs every trunk forward pass; a writer task appends the
/// rows and records them in the sidecar. The batches, their order and the trunk's inputs are those of a plain
/// sequential loop, so the rows are the same bytes.
/// </summary>
/// <remarks>
/// Memory stays bounded by two pools of two buffers: normalised batches (one in the trunk, the next being filled or
/// waiting) and rows (one being written, the next being computed). The batches are tensors allocated once and
/// normalised into in place: a fresh managed array per batch cost a copy into torch and, on these machines, page
/// faults on new memory. A stage that fails or is cancelled stops the others.
/// </remarks>
internal static class StagingPipeline
{
    /// <summary>Normalised batches: the one in the trunk and the next, so the trunk never waits for the reader.</summary>
    private const int FaceBuffers = 2;

    /// <summary>Batches of rows: the one being written and the next being computed.</summary>
    private const int RowBuffers = 2;

    private const int FaceBytes = InceptionResnetV1.InputSize * InceptionResnetV1.InputSize * 3;

    /// <summary>What the reader saw: the mimics staged (all of them, also those before the resume point) and those left out.</summary>
    public sealed record Outcome(List<string> ImageIds, List<string> SeedIds, SortedDictionary<string, int> Skipped);

    /// <summary>A batch on its way: normalised faces for the trunk, or rows for the file (the trunk's output or pixels).</summary>
    private sealed record Batch(byte[]? Rows, Tensor? Faces, int Count);

    /// <summary>
    /// Appends to <paramref name="rows"/> the rows of the mimics after the first <paramref name="rowsDone"/>: the trunk's
    /// output of <paramref name="model"/> in batches of <paramref name="trunkBatch"/> with <paramref name="threads"/> libtorch
    /// threads (0: one per core), or the pixels without a model.
    /// <paramref name="saved"/> is called (on the writer) with the rows written, at least every
    /// <paramref name="saveEveryRows"/> rows, only once they are in the file.
    /// </summary>
    public static async Task<Outcome> RunAsync(
        CropSet crops,
        SeedTargets targets,
        RowFile rows,
        FaceMeaningNet? model,
        Device device,
        RowElement element,
        string normalization,
        int trunkBatch,
        int threads,
        long rowsDone,
        int saveEveryRows,
        Func<long, CancellationToken, Task> saved,
        Action<long, long>? progress,
        CancellationToken cancellationToken)
    {
        var outcome = new Outcome([], [], new SortedDictionary<string, int>(StringComparer.Ordinal));
        var toTrunk = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var toDisk = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var freeFaces = Channel.CreateUnbounded<Tensor>();
        var freeRows = Channel.CreateUnbounded<byte[]>();
        for (var i = 0; i < RowBuffers; i++)
        {
            freeRows.Writer.TryWrite(new byte[trunkBatch * (long)rows.RowBytes]);
        }

        var faceBuffers = new List<Tensor>();
        for (var i = 0; model is not null && i < FaceBuffers; i++)
        {
            var buffer = empty([trunkBatch, 3, InceptionResnetV1.InputSize, InceptionResnetV1.InputSize], ScalarType.Float32).DetachFromDisposeScope();
            faceBuffers.Add(buffer);
            freeFaces.Writer.TryWrite(buffer);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;

        async Task ReadAsync()
        {
            long seen = 0;
            var total = crops.Manifest.ImageCount;
            byte[]? pixels = null;
            Tensor? faces = null;
            var count = 0;
            async Task SendAsync()
            {
                var batch = new Batch(pixels, faces, count);
                await (model is null ? toDisk : toTrunk).Writer.WriteAsync(batch, token).ConfigureAwait(false);
                pixels = null;
                faces = null;
                count = 0;
            }

            await foreach (var record in crops.ReadAllAsync(token).ConfigureAwait(false))
            {
                seen++;
                if (record.Kind != "mimic")
                {
                    continue;
                }

                if (!CropStatus.HasCrop(record.Status) || record.Pixels is null)
                {
                    Count(outcome.Skipped, $"no crop ({record.Status})");
                    continue;
                }

                if (targets.Row(record.SeedId) is null)
                {
                    Count(outcome.Skipped, "seed not in targets");
                    continue;
                }

                if (record.Pixels.Length != FaceBytes)
                {
                    throw new InvalidInputException(
                        $"{crops.Folder}: image {record.ImageId}: the crop has {record.Pixels.Length} bytes, expected 160 x 160 x 3 = {FaceBytes}.");
                }

                var index = outcome.ImageIds.Count;
                outcome.ImageIds.Add(record.ImageId);
                outcome.SeedIds.Add(record.SeedId);
                if (index < rowsDone)
                {
                    continue;
                }

                if (model is null)
                {
                    pixels ??= await freeRows.Reader.ReadAsync(token).ConfigureAwait(false);
                    record.Pixels.CopyTo(pixels.AsSpan(count * FaceBytes, FaceBytes));
                }
                else
                {
                    faces ??= await freeFaces.Reader.ReadAsync(token).ConfigureAwait(false);
                    FaceNormalization.Normalize(record.Pixels, MemoryMarshal.Cast<byte, float>(faces.bytes).Slice(count * FaceBytes, FaceBytes), normalization);
                }

                if (++count == trunkBatch)
                {
                    await SendAsync().ConfigureAwait(false);
                }

                progress?.Invoke(seen, total);
            }

            if (count > 0)
            {
                await SendAsync().ConfigureAwait(false);
            }
        }

        void Compute()
        {
            // libtorch's thread count is per OS thread: set on this one, the one that runs the trunk.
            TorchRuntime.UseThreads(threads);
            while (toTrunk.Reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult())
            {
                while (toTrunk.Reader.TryRead(out var batch))
                {
                    var output = freeRows.Reader.ReadAsync(token).AsTask().GetAwaiter().GetResult();
                    using (var scope = NewDisposeScope())
                    {
                        var faces = (batch.Count == trunkBatch ? batch.Faces! : batch.Faces!.narrow(0, 0, batch.Count)).to(device);
                        var features = model!.Trunk(faces).contiguous();
                        var stored = (element == RowElement.Float16 ? features.to(ScalarType.Float16) : features).cpu().contiguous();
                        stored.bytes.CopyTo(output);
                    }

                    // Only now: the trunk has read the faces (on the CPU they are its input, not a copy).
                    freeFaces.Writer.TryWrite(batch.Faces!);
                    toDisk.Writer.TryWrite(new Batch(output, null, batch.Count));
                }
            }
        }

        async Task WriteAsync()
        {
            var lastSaved = rows.Rows;
            await foreach (var batch in toDisk.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                rows.Append(batch.Rows.AsSpan(0, batch.Count * rows.RowBytes));
                freeRows.Writer.TryWrite(batch.Rows!);
                if (rows.Rows - lastSaved >= saveEveryRows)
                {
                    lastSaved = rows.Rows;
                    await saved(rows.Rows, token).ConfigureAwait(false);
                }
            }
        }

        var reader = Stage(ReadAsync, model is null ? toDisk.Writer : toTrunk.Writer, stop);
        var trunk = model is null
            ? Task.CompletedTask
            : Task.Factory.StartNew(() => Stage(() => { Compute(); return Task.CompletedTask; }, toDisk.Writer, stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        var writer = Stage(WriteAsync, null, stop);
        Task[] stages = [reader, trunk, writer];
        try
        {
            await Task.WhenAll(stages).ConfigureAwait(false);
        }
        catch (Exception) when (stages.Any(s => s.IsFaulted))
        {
            // A failing stage cancels the others: its error, not their cancellation, is the one to report.
            var errors = stages.Where(s => s.IsFaulted).SelectMany(s => s.Exception!.InnerExceptions).ToList();
            var cause = errors.FirstOrDefault(e => e is not OperationCanceledException) ?? errors[0];
            ExceptionDispatchInfo.Capture(cause).Throw();
        }
        catch (OperationCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        finally
        {
            foreach (var buffer in faceBuffers)
            {
                buffer.Dispose();
            }
        }

        return outcome;
    }

    /// <summary>Runs one stage; when it ends, its output channel is completed, and when it fails, the other stages are stopped.</summary>
    private static async Task Stage(Func<Task> body, ChannelWriter<Batch>? output, CancellationTokenSource stop)
    {
        try
        {
            await body().ConfigureAwait(false);
            output?.TryComplete();
        }
        catch (Exception e)
        {
            output?.TryComplete(e);
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void Count(SortedDictionary<string, int> counts, string reason) =>
        counts[reason] = counts.GetValueOrDefault(reason) + 1;
}
