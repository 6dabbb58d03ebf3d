using System.CommandLine;
using System.Globalization;
using FaceCluster.Cli.Cluster;
using FaceCluster.Grains;
using FaceCluster.Learning.Grains;
using FaceCluster.Studies.Crops;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster morph RUN [--count N] [--workers N] [--cluster ADDRESS --data-root DIR]</c>: the dimension faces of a
/// pipeline's output folder (Brooks et al. 2024) into <c>RUN/morphs</c>: the <c>morph</c> run kind submitted to an
/// embedded cluster whose data root is the run folder (as <c>run</c> does), or to a running cluster whose data root holds
/// the run and the study, reading the study named in <c>run.json</c>, <c>crops/</c> and <c>ppca/</c>.
/// </summary>
internal static class MorphCommand
{
    /// <summary>Builds <c>morph</c>.</summary>
    public static Command Create(CliContext context)
    {
        var run = new Argument<string>("RUN") { Description = "A pipeline's output folder (run.json, crops/, ppca/)." };
        var count = new Option<int>("--count") { Description = "Top seeds per ranking (by score and by differential score).", DefaultValueFactory = _ => 5, HelpName = "N" };
        var workers = new Option<int>("--workers") { Description = "Worker slots of the embedded silo (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var dataRoot = new Option<string?>("--data-root") { Description = "With --cluster: the data root the silos share (RUN and its study must lie under it).", HelpName = "DIR" };
        var cluster = new Option<string?>("--cluster") { Description = "Run on a cluster: redis://HOST:PORT/CLUSTER_ID [default: $FACECLUSTER_CLUSTER, else an embedded one].", HelpName = "ADDRESS" };
        var command = new Command("morph", "Morph the mimics of each significant dimension's top seeds into one face per country (RUN/morphs/grid.png).")
        {
            run, count, workers, dataRoot, cluster,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            context,
            parse.GetRequiredValue(run),
            parse.GetValue(count),
            parse.GetValue(workers),
            new Execution(false, parse.GetValue(dataRoot), parse.GetValue(cluster)),
            cancellationToken));
        return command;
    }

    /// <summary>Runs the <c>morph</c> kind on <paramref name="runPath"/> and prints where the grid is.</summary>
    public static async Task<int> RunAsync(CliContext context, string runPath, int count, int workers, Execution execution, CancellationToken cancellationToken)
    {
        var run = Path.GetFullPath(runPath);
        var record = PipelineRecord.TryRead(Path.Combine(run, PipelineRecord.FileName))
            ?? throw new InvalidInputException($"{run}: not a pipeline's output folder ({PipelineRecord.FileName} is missing or unreadable)");
        foreach (var (folder, file) in new[] { ("crops", CropSetManifest.FileName), ("ppca", "dimension_scores.parquet") })
        {
            if (!File.Exists(Path.Combine(run, folder, file)))
            {
                throw new InvalidInputException($"{run}: {folder}/{file} is missing (run the pipeline to its ppca stage first)");
            }
        }

        var study = Path.IsPathRooted(record.Study) ? record.Study : Path.GetFullPath(Path.Combine(run, record.Study));
        if (!Directory.Exists(study))
        {
            throw new InvalidInputException($"{run}: the study of run.json, {record.Study}, is not there");
        }

        if (count is < 1 or > MorphParameters.MaxCount)
        {
            throw new InvalidInputException($"--count must be 1 to {MorphParameters.MaxCount}, got {count}");
        }

        if (workers < 0)
        {
            throw new InvalidInputException($"--workers must be 0 (one per core) or more, got {workers}");
        }

        // Embedded, the run folder is the data root (as for `run`); on a cluster, the shared data root must hold the run.
        var onCluster = EmbeddedRun.ClusterAddress(execution.Cluster) is not null;
        await EmbeddedRun.RunAsync(
            context,
            execution with { DataRoot = onCluster ? execution.DataRoot : run },
            workers,
            MorphRunKind.KindName,
            (dataRoot, runId, _) =>
            {
                var folder = Path.GetRelativePath(dataRoot, run) == "." ? "" : EmbeddedRun.Reference(dataRoot, RunPaths.Inputs(runId), run, "run", onCluster) + "/";
                return Task.FromResult(RunParameters.Request(
                    MorphRunKind.KindName,
                    folder + "morphs",
                    new MorphParameters
                    {
                        Study = EmbeddedRun.Reference(dataRoot, RunPaths.Inputs(runId), study, "study", onCluster),
                        Crops = folder + "crops",
                        Ppca = folder + "ppca",
                        Count = count,
                    }));
            },
            stagingFolder: null,
            cancellationToken).ConfigureAwait(false);
        var grid = Path.Combine(run, "morphs", MorphRunKind.GridFile);
        await context.Output.WriteLineAsync(File.Exists(grid)
            ? string.Create(CultureInfo.InvariantCulture, $"Morphs: {grid}")
            : $"No morphs: the PPCA in {Path.Combine(run, "ppca")} has no significant dimension (see {Path.Combine(run, "morphs", "summary.json")})").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
