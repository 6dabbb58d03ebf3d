using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Learning.Grains;
using FaceCluster.Learning.Prediction;
using FaceCluster.Learning.Training;
using FaceCluster.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace FaceCluster.Api;

/// <summary>
/// Training and prediction jobs over HTTP (<c>GET /api/learning</c> lists those writing under the data root), on the cluster's trainer grains (a gpu silo when there is one), the same jobs
/// as <c>facecluster train|predict --cluster</c>: a job is named by its kind and output path, so
/// <c>/api/learning/train/models/m1</c> is the job that writes the model folder <c>models/m1</c> under the data root,
/// whoever started it.
/// </summary>
internal static class LearningJobEndpoints
{
    /// <summary>Maps <c>POST /</c>, <c>GET /{kind}/{**out}</c> and <c>DELETE /{kind}/{**out}</c> on <paramref name="group"/>.</summary>
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/", SubmitAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{kind}/{**out}", StatusAsync);
        group.MapDelete("/{kind}/{**out}", CancelAsync);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        LearningJobSubmission? submission;
        try
        {
            submission = await context.Request.ReadFromJsonAsync<LearningJobSubmission>(FaceClusterApiExtensions.Json, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            return FaceClusterApiExtensions.Problem("the body must be a JSON object of a learning job (kind: train or predict, paths, options): " + e.Message);
        }

        if (submission is null)
        {
            return FaceClusterApiExtensions.Problem("the body must be a JSON object of a learning job");
        }

        var root = options.Value.DataRoot;
        string key;
        Func<ITrainerGrain, ValueTask<LearningJobStatus>> start;
        try
        {
            (key, start) = submission.Kind switch
            {
                "train" => Training(submission, root),
                "predict" => Prediction(submission, root),
                _ => throw new ArgumentException($"kind: expected train or predict (got '{submission.Kind}')"),
            };
        }
        catch (ArgumentException e)
        {
            return FaceClusterApiExtensions.Problem(e.Message);
        }

        LearningJobStatus status;
        try
        {
            status = await start(client.GetGrain<ITrainerGrain>(key)).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            return Results.Json(new JsonObject { ["error"] = e.Message.ReplaceLineEndings(" ") }, FaceClusterApiExtensions.Json, statusCode: StatusCodes.Status409Conflict);
        }

        var location = $"/api/learning/{submission.Kind}/{submission.Out!.Replace('\\', '/')}";
        context.Response.Headers.Location = location;
        return Results.Json(StatusJson(status, submission.Out), FaceClusterApiExtensions.Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        var keys = await client.GetGrain<ILearningJobRegistryGrain>(0).List().ConfigureAwait(false);
        var statuses = await Task.WhenAll(keys.Select(k => client.GetGrain<ITrainerGrain>(k).GetStatus().AsTask())).ConfigureAwait(false);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.DataRoot));
        var jobs = new JsonArray();
        foreach (var (key, status) in keys.Zip(statuses))
        {
            // Jobs whose output lies outside this API's data root (started from a CLI elsewhere) are not this API's to show.
            var relative = Path.GetRelativePath(root, TrainerKeys.OutputOf(key));
            if (status.State != "idle" && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                jobs.Add(StatusJson(status, relative.Replace('\\', '/')));
            }
        }

        return Results.Json(new JsonObject { ["jobs"] = jobs }, FaceClusterApiExtensions.Json);
    }

    private static async Task<IResult> StatusAsync(string kind, string @out, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        var grain = Find(kind, @out, options.Value.DataRoot);
        if (grain is null)
        {
            return NotFound(kind, @out);
        }

        var status = await client.GetGrain<ITrainerGrain>(grain).GetStatus().ConfigureAwait(false);
        return status.State == "idle" ? NotFound(kind, @out) : Results.Json(StatusJson(status, @out), FaceClusterApiExtensions.Json);
    }

    private static async Task<IResult> CancelAsync(string kind, string @out, IClusterClient client, IOptions<FaceClusterApiOptions> options)
    {
        var grain = Find(kind, @out, options.Value.DataRoot);
        if (grain is null)
        {
            return NotFound(kind, @out);
        }

        var trainer = client.GetGrain<ITrainerGrain>(grain);
        if ((await trainer.GetStatus().ConfigureAwait(false)).State == "idle")
        {
            return NotFound(kind, @out);
        }

        return Results.Json(StatusJson(await trainer.Cancel().ConfigureAwait(false), @out), FaceClusterApiExtensions.Json);
    }

    /// <summary>The grain key of the job <paramref name="kind"/> writing <paramref name="output"/>, or null when there can be none.</summary>
    private static string? Find(string kind, string output, string root)
    {
        try
        {
            return TrainerKeys.Of(kind, DataRootGuard.Check(root, output, "out"));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static (string Key, Func<ITrainerGrain, ValueTask<LearningJobStatus>> Start) Training(LearningJobSubmission submission, string root)
    {
        var study = DataRootGuard.Check(root, submission.Study, "study");
        var crops = DataRootGuard.Check(root, submission.Crops, "crops");
        var model = DataRootGuard.Check(root, submission.Out, "out");
        var targets = submission.Targets is null ? Path.Combine(study, "targets.parquet") : DataRootGuard.Check(root, submission.Targets, "targets");
        var options = Options<TrainingOptions>(submission.Options);
        options = options with
        {
            BackboneWeights = options.BackboneWeights is { } weights ? DataRootGuard.Check(root, weights, "options.backbone_weights") : null,
            WorkFolder = options.WorkFolder is { } work ? DataRootGuard.Check(root, work, "options.work_folder") : null,
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"options: {string.Join("; ", problems)}");
        }

        RequireFile(study, "study.json", "study", submission.Study!, "a study folder");
        RequireFile(crops, "crops.json", "crops", submission.Crops!, "a crop folder");
        var job = new TrainingJob(study, targets, crops, model, JsonSerializer.Serialize(options, AtomicFile.JsonOptions));
        return (TrainerKeys.Training(model), grain => grain.StartTraining(job));
    }

    private static (string Key, Func<ITrainerGrain, ValueTask<LearningJobStatus>> Start) Prediction(LearningJobSubmission submission, string root)
    {
        var model = DataRootGuard.Check(root, submission.Model, "model");
        var crops = DataRootGuard.Check(root, submission.Crops, "crops");
        var output = DataRootGuard.Check(root, submission.Out, "out");
        var options = Options<PredictionOptions>(submission.Options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"options: {string.Join("; ", problems)}");
        }

        RequireFile(model, "model.json", "model", submission.Model!, "a model folder");
        RequireFile(crops, "crops.json", "crops", submission.Crops!, "a crop folder");
        var job = new PredictionJob(model, crops, output, JsonSerializer.Serialize(options, AtomicFile.JsonOptions));
        return (TrainerKeys.Prediction(output), grain => grain.StartPrediction(job));
    }

    /// <summary>Refuses a folder without <paramref name="file"/> before a job is started on it.</summary>
    private static void RequireFile(string folder, string file, string field, string given, string what)
    {
        if (!File.Exists(Path.Combine(folder, file)))
        {
            throw new ArgumentException($"{field}: '{given}' is not {what} (no {file})");
        }
    }

    private static T Options<T>(JsonObject? options)
        where T : new()
    {
        try
        {
            return options is null ? new T() : options.Deserialize<T>(FaceClusterApiExtensions.Json) ?? new T();
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"options: {e.Message}", e);
        }
    }

    /// <summary>The JSON of a learning job's status.</summary>
    public static JsonObject StatusJson(LearningJobStatus status, string output)
    {
        JsonNode? summary = null;
        if (status.Summary is { } text)
        {
            try
            {
                summary = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                summary = text;
            }
        }

        return new JsonObject
        {
            ["kind"] = status.Kind,
            ["out"] = output,
            ["state"] = status.State,
            ["phase"] = status.Phase,
            ["done"] = status.Done,
            ["total"] = status.Total,
            ["epoch"] = status.Epoch,
            ["step"] = status.Step,
            ["loss"] = status.Loss,
            ["device"] = status.Device,
            ["silo"] = status.Silo,
            ["attempt"] = status.Attempt,
            ["warnings"] = new JsonArray([.. status.Warnings.Select(w => (JsonNode?)w)]),
            ["error"] = status.Error,
            ["summary"] = summary,
        };
    }

    private static IResult NotFound(string kind, string output) =>
        Results.Json(
            new JsonObject { ["error"] = $"no {kind} job writes '{output.ReplaceLineEndings(" ")}'" },
            FaceClusterApiExtensions.Json,
            statusCode: StatusCodes.Status404NotFound);
}

/// <summary>The body of <c>POST /api/learning</c>: paths relative to the data root, options as the CLI's (snake_case).</summary>
/// <param name="Kind"><c>train</c> or <c>predict</c>.</param>
/// <param name="Study">Train: the study folder.</param>
/// <param name="Crops">The crop folder.</param>
/// <param name="Out">Train: the model folder; predict: the table to write.</param>
/// <param name="Targets">Train: the targets table [default: <c>STUDY/targets.parquet</c>].</param>
/// <param name="Model">Predict: the model folder.</param>
/// <param name="Options">Train: <c>TrainingOptions</c> (<c>epochs</c>, <c>batch_size</c>, <c>learning_rate</c>, ...); predict:
/// <c>PredictionOptions</c> (<c>kind</c>, <c>batch_size</c>, <c>device</c>); omitted fields keep their defaults.</param>
public sealed record LearningJobSubmission(string? Kind, string? Study, string? Crops, string? Out, string? Targets, string? Model, JsonObject? Options);
