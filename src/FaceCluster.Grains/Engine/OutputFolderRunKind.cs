namespace FaceCluster.Grains;

/// <summary>
/// A run kind of one stage of one range that writes a whole output folder, complete once its <c>summary.json</c> is
/// there (G-PPCA, a study's aggregation): everything but the computation is the same for all of them.
/// </summary>
/// <typeparam name="TParameters">The kind's parameter record.</typeparam>
public abstract class OutputFolderRunKind<TParameters> : IRunKind
    where TParameters : class, IRunParameters
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>The name of the one stage.</summary>
    protected abstract string StageName { get; }

    /// <inheritdoc />
    public virtual IReadOnlyList<string> Validate(RunRequest request, string dataRoot) => RunParameters.Validate<TParameters>(request, dataRoot);

    /// <inheritdoc />
    public Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        return Task.FromResult(planning.CompletedStage is null ? StagePlan.One(StageName) : null);
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Path.Combine(files.Output(request), "summary.json");
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return RunFiles.FilesUnder(files.Output(request));
    }

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return StageTasks.Whole(WriteOutputsAsync(work, RunParameters.Read<TParameters>(work.Request), cancellationToken));
    }

    /// <summary>Computes the run and writes its output folder, <c>summary.json</c> last.</summary>
    protected abstract Task WriteOutputsAsync(RangeWork work, TParameters parameters, CancellationToken cancellationToken);
}
