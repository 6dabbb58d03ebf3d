using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using FaceCluster.Grains;
using FaceCluster.Hosting;

namespace FaceCluster.Api.Tests;

/// <summary>
/// Tests that add up a process-wide counter with a <see cref="MeterListener"/>: every in-process cluster of this assembly
/// records into the same meter, so they run alone, after the parallel test classes (a concurrent class's runs added their
/// bytes to this one's sums).
/// </summary>
[Collection(nameof(ProcessWideMeterTests))]
public sealed class ProcessWideMeterTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bytes_written_count_the_outputs_of_a_run_as_well_as_its_shards()
    {
        var written = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, meters) =>
            {
                if (instrument.Meter.Name == FaceClusterTelemetry.Name && instrument.Name == "facecluster.bytes.written")
                {
                    meters.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, bytes, tags, _) =>
        {
            var stage = string.Empty;
            foreach (var tag in tags)
            {
                if (tag.Key == "facecluster.stage")
                {
                    stage = (string)tag.Value!;
                }
            }

            written.AddOrUpdate(stage, bytes, (_, sum) => sum + bytes);
        });
        listener.Start();
        using var http = fixture.Client();

        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", ApiFixture.SmallRun("out/bytes", "bytes-run"), Ct)).StatusCode);
        var status = await fixture.Cluster.Client.WaitForRunAsync("bytes-run", cancellationToken: Ct);
        Assert.Equal(RunState.Completed, status.State);

        static long Bytes(string folder, string pattern) =>
            Directory.EnumerateFiles(folder, pattern, SearchOption.AllDirectories).Sum(file => new FileInfo(file).Length);
        var outputs = Bytes(Path.Combine(fixture.DataRoot, "out", "bytes"), "*");
        var replicateShards = Bytes(Path.Combine(fixture.DataRoot, "runs", "bytes-run", "shards"), "replicates-*.parquet");
        Assert.True(outputs > 0 && replicateShards > 0);
        Assert.Equal(outputs, written.GetValueOrDefault(PpcaStages.Aggregate));
        Assert.Equal(replicateShards, written.GetValueOrDefault(PpcaStages.Replicates));
    }
}

[CollectionDefinition(nameof(ProcessWideMeterTests), DisableParallelization = true)]
public sealed class ProcessWideMeterTestsRunAlone;
