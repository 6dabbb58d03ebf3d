using FaceCluster.Grains;
using FaceCluster.Grains.Tests;

namespace FaceCluster.Reliability.Tests;

/// <summary>
/// An output folder that cannot be written: the run retries the range with backoff, then fails with one line naming
/// the folder; the silo stays up and the registry releases the folder.
/// </summary>
public sealed class OutputFaultTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("facecluster-output-fault-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_read_only_output_folder_fails_the_run_after_retries_with_one_line_naming_it()
    {
        await TestInputs.WriteAsync(_root, Ct);

        // Tests run as root in CI, for whom permissions do not stop a write: /proc is read-only even for root.
        File.CreateSymbolicLink(Path.Combine(_root, "read-only"), "/proc/self");
        await using var harness = await ClusterHarness.StartAsync(1, _root, o => o.MaxRangeFailures = 2);
        var coordinator = harness.Client.GetGrain<IRunCoordinatorGrain>("read-only-run");
        await coordinator.Start(TestInputs.Request("read-only/out", replicates: 3, rangeSize: 3));

        var status = await Poll.FinishedAsync(harness.Client, "read-only-run", TimeSpan.FromMinutes(2));
        Assert.Equal(RunState.Failed, status.State);
        Assert.DoesNotContain('\n', status.Error!);
        Assert.Contains("failed 2 times", status.Error, StringComparison.Ordinal);
        Assert.Contains("read-only/", status.Error, StringComparison.Ordinal);
        var failing = (await coordinator.GetReport()).Stages[^1].Ranges.Single(r => r.Failures > 0);
        Assert.Equal(2, failing.Attempts);

        // The silo is up and the folder released: the same out elsewhere-writable path now works.
        Assert.Single(harness.Cluster.Silos);
        Assert.Empty(await harness.Client.GetGrain<IRunRegistryGrain>(0).ListUnfinished());
        await harness.Client.GetGrain<IRunCoordinatorGrain>("writable-run").Start(TestInputs.Request("writable/out", replicates: 3, rangeSize: 3));
        Assert.Equal(RunState.Completed, (await Poll.FinishedAsync(harness.Client, "writable-run", TimeSpan.FromMinutes(2))).State);
    }

    [Fact]
    public async Task A_full_output_disk_fails_the_run_after_retries_with_one_line_and_leaves_no_partial_output()
    {
        await TestInputs.WriteAsync(_root, Ct);
        var full = Directory.CreateDirectory(Path.Combine(_root, "full")).FullName;
        if (await RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full) != 0)
        {
            Assert.Skip("mounting a small tmpfs needs root (CI runs as root)");
        }

        try
        {
            // Fill it to the last block.
            await using (var filler = File.Create(Path.Combine(full, "filler")))
            {
                try
                {
                    await filler.WriteAsync(new byte[1 << 20], Ct);
                    await filler.FlushAsync(Ct);
                }
                catch (IOException)
                {
                    // No space left: the point.
                }
            }

            await using var harness = await ClusterHarness.StartAsync(1, _root, o => o.MaxRangeFailures = 2);
            await harness.Client.GetGrain<IRunCoordinatorGrain>("full-run").Start(TestInputs.Request("full/out", replicates: 3, rangeSize: 3));
            var status = await Poll.FinishedAsync(harness.Client, "full-run", TimeSpan.FromMinutes(2));
            Assert.Equal(RunState.Failed, status.State);
            Assert.DoesNotContain('\n', status.Error!);
            Assert.Contains("failed 2 times", status.Error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(full, "out")), "a partial output folder was left");
            Assert.Single(harness.Cluster.Silos);
        }
        finally
        {
            await RunAsync("umount", full);
        }
    }

    private static async Task<int> RunAsync(string command, params string[] arguments)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
            await process.WaitForExitAsync(Ct);
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
