using System.Diagnostics;

namespace FaceCluster.Cli.Tests;

/// <summary>The built command line as a process of its own, for tests that kill it.</summary>
internal static class CliProcess
{
    /// <summary>
    /// Runs <c>facecluster</c> with <paramref name="arguments"/> until <paramref name="ready"/> holds, then kills it (and
    /// its children) with SIGKILL; fails when it ends first or nothing happens within 3 minutes.
    /// </summary>
    public static async Task KillWhenAsync(IReadOnlyList<string> arguments, Func<bool> ready, string what, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facecluster.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!ready())
        {
            if (process.HasExited)
            {
                Assert.Fail($"the process ended before {what}: " + await process.StandardError.ReadToEndAsync(cancellationToken));
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {what} within 3 minutes");
            await Task.Delay(20, cancellationToken);
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync(cancellationToken);
    }
}
