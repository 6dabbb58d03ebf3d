namespace FaceCluster.Cli.Progress;

/// <summary>
/// Reports the progress of long steps. Report any step that can take more than about a second; get a reporter from
/// <see cref="ConsoleProgress.RunAsync{T}"/>.
/// </summary>
internal interface IProgressReporter
{
    /// <summary>Starts a step of <paramref name="total"/> units (bootstrap resamples, replicates, files, …).</summary>
    /// <returns>The step; advance it as work completes and dispose it when the step ends.</returns>
    IProgressStep Start(string description, long total);
}

/// <summary>One step in progress. <see cref="Advance"/> may be called from any thread.</summary>
internal interface IProgressStep : IDisposable
{
    /// <summary>Records that <paramref name="amount"/> more units are done.</summary>
    void Advance(long amount = 1);
}
