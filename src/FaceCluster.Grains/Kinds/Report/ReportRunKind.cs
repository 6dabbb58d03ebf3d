using FaceCluster.Reports;

namespace FaceCluster.Grains;

/// <summary>
/// The report of a run (analysis.md section 12), as one stage of one range on a silo: reads the run's outputs from its
/// output folder, and writes <c>report.html</c>, <c>figures/</c>, <c>tsne.parquet</c> and, last, <c>report.json</c>
/// into it (<see cref="ReportBuilder"/>). The last stage of a pipeline; also a kind of its own for the output folder of
/// any pipeline or PPCA run.
/// </summary>
public sealed class ReportRunKind : IRunKind
{
    /// <summary>The kind's name.</summary>
    public const string KindName = "report";

    /// <summary>Its one stage.</summary>
    public const string Stage = "report";

    /// <inheritdoc />
    public string Name => KindName;

    /// <inheritdoc />
    public IReadOnlyList<string> Validate(RunRequest request, string dataRoot)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = RunParameters.Validate<ReportParameters>(request, dataRoot).ToList();
        try
        {
            // The output is the folder reported on; a pipeline's may be the data root itself.
            if (!Directory.Exists(DataRootPaths.Resolve(dataRoot, request.OutputPath, allowRoot: true)))
            {
                errors.Add($"output: the folder '{request.OutputPath}' to report on does not exist");
            }
        }
        catch (ArgumentException e)
        {
            errors.Add($"output: {e.Message}");
        }

        return errors;
    }

    /// <inheritdoc />
    public Task<StagePlan?> NextStageAsync(RunPlanning planning, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(planning);
        if (planning.CompletedStage is not null)
        {
            return Task.FromResult<StagePlan?>(null);
        }

        // A report of an earlier run into this folder would read as this one's finished range.
        File.Delete(Path.Combine(planning.OutputFolder, ReportBuilder.SummaryFileName));
        return Task.FromResult<StagePlan?>(StagePlan.One(Stage));
    }

    /// <inheritdoc />
    public string ShardOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Path.Combine(files.Output(request), ReportBuilder.SummaryFileName);
    }

    /// <inheritdoc />
    public IEnumerable<string> FilesOf(RunFiles files, RunRequest request, string stage, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(files);
        var folder = files.Output(request);
        return [Path.Combine(folder, ReportBuilder.HtmlFileName), Path.Combine(folder, TsneMaps.FileName), Path.Combine(folder, ReportBuilder.SummaryFileName),
            .. RunFiles.FilesUnder(Path.Combine(folder, ReportBuilder.FiguresFolderName))];
    }

    /// <inheritdoc />
    public Task<Func<CancellationToken, Task>> ComputeAsync(RangeWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var parameters = RunParameters.Read<ReportParameters>(work.Request);
        return StageTasks.Whole(Task.Run(
            async () =>
            {
                var truth = parameters.Truth is null ? null : work.Files.Resolve(parameters.Truth);
                var inputs = ReportInputs.Locate(work.Files.Output(work.Request), truth, work.Files.DataRoot);
                await ReportBuilder.BuildAsync(inputs, new ReportOptions { Seed = parameters.Seed, Threads = parameters.Threads }, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken));
    }

    /// <summary>Removes a report's outputs from <paramref name="folder"/> (a pipeline does before it reports anew).</summary>
    public static void RemoveOutputs(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        foreach (var name in ReportBuilder.Outputs.Append(ReportBuilder.HtmlFileName))
        {
            var path = Path.Combine(folder, name);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Whether <paramref name="folder"/> holds a finished report.</summary>
    public static bool IsPresent(string folder) => File.Exists(Path.Combine(folder, ReportBuilder.SummaryFileName));
}
