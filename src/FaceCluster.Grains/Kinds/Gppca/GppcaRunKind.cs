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
public sealed class GppcaRunKind(InputCache cache) : OutputFolderRunKind<GppcaParameters>
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "gppca";

    /// <summary>Its one stage.</summary>
    public const string Stage = "gppca";

    /// <inheritdoc />
    public override string Name => KindName;

    /// <inheritdoc />
    protected override string StageName => Stage;

    /// <inheritdoc />
    public override IReadOnlyList<string> Validate(RunRequest request, string dataRoot)
    {
        var errors = RunParameters.Validate<GppcaParameters>(request, dataRoot);
        KindChecks.NewOutput(errors, dataRoot, request);
        return errors;
    }

    /// <inheritdoc />
    protected override async Task WriteOutputsAsync(RangeWork work, GppcaParameters parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(parameters);
        var (files, request) = (work.Files, work.Request);
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
