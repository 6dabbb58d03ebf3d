using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FaceCluster.Learning.Grains;
using FaceCluster.Cli.Cluster;
using FaceCluster.Grains;
using FaceCluster.Studies;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster crop STUDY --out DIR</c>: MTCNN face crops of every image of a study, sharded over the cluster's crop
/// workers (an embedded silo by default), into a crop folder; finished shards are kept, so a rerun resumes.
/// </summary>
internal static class CropCommand
{
    /// <summary>Builds the <c>crop</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var study = new Argument<string>("STUDY") { Description = "The study folder (study.json, images table, images/)." };
        var output = new Option<string>("--out", "-o") { Description = "The crop folder (crops.json and shards/); a rerun into it resumes.", Required = true, HelpName = "DIR" };
        var defaults = new CropParameters();
        var shardSize = new Option<int>("--shard-size") { Description = "Images per shard (the unit of work and of resumption).", DefaultValueFactory = _ => defaults.ShardSize, HelpName = "N" };
        var margin = new Option<int>("--margin") { Description = "Margin around the face box, in pixels of the 160 x 160 crop (facenet-pytorch's margin).", DefaultValueFactory = _ => defaults.Margin, HelpName = "PX" };
        var minFace = new Option<int>("--min-face-size") { Description = "Smallest face MTCNN looks for, in pixels.", DefaultValueFactory = _ => defaults.MinFaceSize, HelpName = "PX" };
        var selection = new Option<string>("--keep") { Description = "Which face is kept when MTCNN finds several.", DefaultValueFactory = _ => defaults.Selection };
        selection.AcceptOnlyFromAmong("probable", "largest");
        var normalization = new Option<string>("--normalization") { Description = "What models apply to the crops: prewhiten (the paper) or fixed ((x - 127.5) / 128).", DefaultValueFactory = _ => defaults.Normalization };
        normalization.AcceptOnlyFromAmong("prewhiten", "fixed");
        var fallback = new Option<bool>("--fallback-box") { Description = "Crop at the images table's face box when MTCNN finds no face (recorded as fallback_box)." };
        var landmarks = new Option<bool>("--landmarks") { Description = "Also record the kept face's 68 landmarks (face-api.js's net in the MTCNN box) as landmark68_* columns of the shards." };
        var batch = new Option<int>("--batch-size") { Description = "Images detected together.", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var maxMegapixels = new Option<double>("--max-megapixels") { Description = "Larger images are recorded as too_large without decoding.", DefaultValueFactory = _ => defaults.MaxMegapixels, HelpName = "MP" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda[:N].", DefaultValueFactory = _ => defaults.Device };
        var workers = new Option<int>("--workers") { Description = "Shards cropped at once on the embedded silo (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var models = new Option<string?>("--models") { Description = "Folder of MTCNN's pnet.pt, rnet.pt, onet.pt [default: $FACECLUSTER_MTCNN_MODELS, else the weights built into FaceCluster].", HelpName = "DIR" };
        var dataRoot = new Option<string?>("--data-root") { Description = $"Data root of the embedded cluster (kept), or with --cluster the data root its silos share, holding STUDY and --out [default: ${EmbeddedRun.DataRootVariable}].", HelpName = "DIR" };
        var cluster = new Option<string?>("--cluster") { Description = $"Submit to a running cluster: redis://HOST:PORT/CLUSTER_ID [default: ${EmbeddedRun.ClusterVariable}].", HelpName = "ADDRESS" };
        var command = new Command("crop", "Crop every seed and mimic image of a study to a 160 x 160 face with MTCNN, in shards over the cluster.")
        {
            study, output, shardSize, margin, minFace, selection, normalization, fallback, landmarks, batch, maxMegapixels, device, workers, models, dataRoot, cluster,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = new CropParameters
            {
                ShardSize = parse.GetValue(shardSize),
                Margin = parse.GetValue(margin),
                MinFaceSize = parse.GetValue(minFace),
                Selection = parse.GetValue(selection)!,
                Normalization = parse.GetValue(normalization)!,
                FallbackToTableBox = parse.GetValue(fallback),
                Landmarks = parse.GetValue(landmarks),
                MaxMegapixels = parse.GetValue(maxMegapixels),
                BatchSize = parse.GetValue(batch),
                Device = parse.GetValue(device)!,
            };
            return RunAsync(
                context,
                parse.GetRequiredValue(study),
                parse.GetRequiredValue(output),
                settings,
                parse.GetValue(workers),
                parse.GetValue(models),
                new Execution(false, parse.GetValue(dataRoot), parse.GetValue(cluster)),
                cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, string studyPath, string outputPath, CropParameters settings, int workers, string? models, Execution execution, CancellationToken cancellationToken)
    {
        var problems = settings.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException(problems[0]);
        }

        if (workers < 0)
        {
            throw new InvalidInputException($"--workers must be 0 (one per core) or more, got {workers}");
        }

        var study = Path.GetFullPath(studyPath);
        if (!File.Exists(Path.Combine(study, StudyManifest.FileName)))
        {
            throw new InvalidInputException($"{study}: not a study folder ({StudyManifest.FileName} is missing)");
        }

        // Refused here, before the run starts and before the output folder exists, so that a path leaving the study
        // folder is bad input (exit 2) naming the user's own images table; the crop kind checks again on the silos.
        if (StudyFolder.Open(study).ImagesPath is { } images)
        {
            new StudyPaths(study).RequireAll(await StudyImageTable.ReadAsync(images, cancellationToken).ConfigureAwait(false));
        }

        if (models is not null)
        {
            Environment.SetEnvironmentVariable(Vision.MtcnnModels.DirectoryVariable, Path.GetFullPath(models));
        }

        var output = Path.GetFullPath(outputPath);
        await CropThroughClusterAsync(context, study, output, settings, workers, execution, cancellationToken).ConfigureAwait(false);
        await WriteSummaryAsync(context, output, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Crops the study folder <paramref name="study"/> into the crop folder <paramref name="output"/> (full paths) through the
    /// embedded cluster, or the one <paramref name="execution"/> names; also what <c>bench crop</c> times.
    /// </summary>
    internal static async Task CropThroughClusterAsync(
        CliContext context, string study, string output, CropParameters settings, int workers, Execution execution, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(output);
        var onCluster = EmbeddedRun.ClusterAddress(execution.Cluster) is not null;
        await EmbeddedRun.RunAsync(
            context,
            execution,
            workers,
            CropRunKind.KindName,
            (root, runId, _) =>
            {
                var request = RunParameters.Request(
                    CropRunKind.KindName,
                    EmbeddedRun.Reference(root, RunPaths.Inputs(runId), output, "crops", onCluster),
                    settings with { Study = EmbeddedRun.Reference(root, RunPaths.Inputs(runId), study, "study", onCluster), StudyName = study });
                return Task.FromResult(request);
            },
            stagingFolder: null,
            cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteSummaryAsync(CliContext context, string output, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(Path.Combine(output, "summary.json"));
        using var summary = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var root = summary.RootElement;
        var images = root.GetProperty("images").GetInt64();
        var detected = root.GetProperty("detected").GetInt64();
        await context.Output.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"Cropped {detected} of {images} images ({root.GetProperty("detection_rate").GetDouble():P1} with a detected face) into {output}")).ConfigureAwait(false);
        foreach (var status in root.GetProperty("by_status").EnumerateObject())
        {
            await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {status.Name,-14} {status.Value.GetInt64(),9}")).ConfigureAwait(false);
        }
    }
}
