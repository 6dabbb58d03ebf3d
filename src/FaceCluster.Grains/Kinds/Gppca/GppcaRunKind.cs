using System.Diagnostics;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>
/// Generalized PPCA of judgments across countries (analysis section 8): one stage, <c>gppca</c>, that computes everything
/// and writes <c>gppca.parquet</c> and <c>summary.json</c> into the output folder.
/// </summary>
public sealed class GppcaRunKind(InputCache cache) : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "gppca";

    /// <summary>Its one stage.</summary>
    public const string Stage = "gppca";

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot)
    {
        var errors = RunParameters.Validate<GppcaParameters>(request, dataRoot);
        KindChecks.NewOutput(errors, dataRoot, request);
        return errors;
    }

    /// <inheritdoc />
    public Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        return Task.FromResult(planning.CompletedStage is null ? StagePlan.One(Stage) : null);
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Path.Combine(files.Output(request), "summary.json");
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count) =>
        RunFiles.FilesUnder(files.Output(request));

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return StageTasks.Whole(RunAsync(work.Files, work.Request, RunParameters.Read<GppcaParameters>(work.Request), cancellationToken));
    }

    private async Task RunAsync(RunFiles files, RunRequest request, GppcaParameters parameters, CancellationToken cancellationToken)
    {
        var input = await cache.GetGppcaAsync(files.Resolve(parameters.Judgments), cancellationToken).ConfigureAwait(false);
        var threads = parameters.Threads > 0 ? parameters.Threads : Environment.ProcessorCount;
        var watch = Stopwatch.StartNew();
        var countries = GppcaOutputs.Split(input.Table, input.Grid);
        var result = await StageTasks.Offload(() => Gppca.Run(countries, threads), cancellationToken).ConfigureAwait(false);
        var seconds = watch.Elapsed.TotalSeconds;
        var extra = new JsonObject { ["execution"] = new JsonObject { ["mode"] = "cluster", ["run_id"] = files.RunId } };
        using var output = StagedOutputDirectory.Create(files.Output(request), overwrite: true);
        await GppcaOutputs.WriteAsync(
            output.StagingPath,
            result,
            input.Grid,
            input.Table.RowCount,
            threads,
            new JsonObject { ["judgments"] = parameters.JudgmentsName ?? parameters.Judgments },
            seconds,
            cancellationToken,
            extra).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
