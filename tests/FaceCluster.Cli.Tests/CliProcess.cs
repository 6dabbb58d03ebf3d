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

    /// <summary>
    /// Runs <c>facecluster</c> with <paramref name="arguments"/> (temporary files under <paramref name="temporaryFolder"/>)
    /// until <paramref name="ready"/> holds, then sends it SIGTERM; returns its exit code and standard error.
    /// </summary>
    public static async Task<(int ExitCode, string Error)> TerminateWhenAsync(
        IReadOnlyList<string> arguments, string temporaryFolder, Func<bool> ready, string what, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "facecluster.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["TMPDIR"] = temporaryFolder;
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (!ready())
        {
            if (process.HasExited)
            {
                Assert.Fail($"the process ended before {what}: " + await error);
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {what} within 3 minutes");
            await Task.Delay(20, cancellationToken);
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(cancellationToken);
        }

        await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);
        return (process.ExitCode, await error);
    }
}
