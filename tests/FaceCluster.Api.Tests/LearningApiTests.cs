using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;

namespace FaceCluster.Api.Tests;

/// <summary><c>/api/learning</c>: training and prediction jobs on the cluster's trainer grain, over HTTP.</summary>
public sealed class LearningApiTests(ApiFixture fixture, TinyStudy study) : IClassFixture<ApiFixture>, IClassFixture<TinyStudy>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two short epochs on the 24 mimics of the small crop set (the DNN tests' short run).</summary>
    private static JsonObject ShortTraining => new()
    {
        ["epochs"] = 2,
        ["batch_size"] = 8,
        ["learning_rate"] = 1e-3,
        ["dropout"] = 0.2,
        ["learning_rate_step_batches"] = 2,
        ["learning_rate_gamma"] = 0.5,
        ["held_out_fraction"] = 0.2,
        ["device"] = "cpu",
        ["trunk_batch_size"] = 32,
        ["checkpoint_every_batches"] = 0,
        ["checkpoint_every_epochs"] = 0,
    };

    [Fact]
    public async Task A_model_is_trained_and_run_on_the_seeds_through_http()
    {
        // The study's own folder is this API's data root; the embedded cluster's trainer reads and writes it.
        var root = Path.GetDirectoryName(study.StudyFolder)!;
        await using var api = await FaceClusterApiHost.StartAsync(fixture.Cluster.Client, fixture.Configuration(("FaceCluster:DataRoot", root)));
        using var http = fixture.Client(api: api);
        var model = Path.GetRelativePath(root, study.NewFolder("http")) + "/model";

        var created = await http.PostAsJsonAsync(
            "api/learning", new JsonObject { ["kind"] = "train", ["study"] = "study", ["crops"] = "crops-small", ["out"] = model, ["options"] = ShortTraining }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/learning/train/{model}", created.Headers.Location?.OriginalString);
        var trained = await FinishedAsync(http, created.Headers.Location!.OriginalString);
        Assert.Equal("completed", (string?)trained["state"]);
        Assert.Equal(6, (int?)trained["summary"]?["steps"]);
        Assert.Equal(5, (int?)trained["summary"]?["held_out_faces"]);
        Assert.Contains(trained["warnings"]!.AsArray(), w => ((string?)w)!.Contains("no backbone weights", StringComparison.Ordinal));
        Assert.Equal(2, ModelManifest.Read(Path.Combine(root, model)).Training!.EpochsDone);

        var predictions = model + "/predictions.parquet";
        var predicting = await http.PostAsJsonAsync(
            "api/learning", new JsonObject { ["kind"] = "predict", ["model"] = model, ["crops"] = "crops-small", ["out"] = predictions, ["options"] = new JsonObject { ["device"] = "cpu" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, predicting.StatusCode);
        var predicted = await FinishedAsync(http, $"/api/learning/predict/{predictions}");
        Assert.Equal("completed", (string?)predicted["state"]);
        Assert.Equal(8, (int?)predicted["summary"]?["rows"]);
        Assert.True(File.Exists(Path.Combine(root, predictions)));

        // Both are listed, by output; the job stays known by its output; an output nothing writes is a 404.
        var listed = (await http.GetFromJsonAsync<JsonObject>("api/learning", Ct))!["jobs"]!.AsArray();
        Assert.Contains(listed, j => (string?)j!["kind"] == "train" && (string?)j["out"] == model && (string?)j["state"] == "completed");
        Assert.Contains(listed, j => (string?)j!["kind"] == "predict" && (string?)j["out"] == predictions);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"api/learning/train/{model}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/learning/train/no/such/model", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/learning/fit/" + model, Ct)).StatusCode);
        using var anonymous = fixture.Client(token: null, api: api);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"api/learning/train/{model}", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("""{"kind": "fit", "study": "study", "crops": "crops", "out": "m"}""", "kind: expected train or predict")]
    [InlineData("""{"kind": "train", "study": "/etc", "crops": "crops", "out": "m"}""", "study: '/etc' must be relative")]
    [InlineData("""{"kind": "train", "study": "study", "crops": "../outside", "out": "m"}""", "crops:")]
    [InlineData("""{"kind": "train", "study": "study", "crops": "crops", "out": "m", "options": {"epochs": 0}}""", "options: ")]
    [InlineData("""{"kind": "train", "study": "study", "crops": "crops", "out": "m", "options": {"epochs": "two"}}""", "options: ")]
    [InlineData("""{"kind": "predict", "crops": "crops", "out": "p.parquet"}""", "model: a path relative to the data root is required")]
    [InlineData("""{"kind": "predict", "model": "m", "crops": "crops", "out": "p.parquet", "options": {"batch_size": -1}}""", "options: the batch size must be 0 (by device) or more")]
    [InlineData("""{"kind": "predict", "model": "m", "crops": "crops", "out": "p.parquet"}""", "model: 'm' is not a model folder (no model.json)")]
    [InlineData("""{"kind": "train", "study": "crops", "crops": "crops", "out": "m"}""", "study: 'crops' is not a study folder (no study.json)")]
    [InlineData("""{"kind": "train", "study": "study", "crops": "study", "out": "m"}""", "crops: 'study' is not a crop folder (no crops.json)")]
    public async Task Bad_jobs_are_a_400_naming_the_field(string body, string expected)
    {
        var root = Path.GetDirectoryName(study.StudyFolder)!;
        await using var api = await FaceClusterApiHost.StartAsync(fixture.Cluster.Client, fixture.Configuration(("FaceCluster:DataRoot", root)));
        using var http = fixture.Client(api: api);

        var response = await http.PostAsync("api/learning", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))?["error"];
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    private static async Task<JsonObject> FinishedAsync(HttpClient http, string location)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (true)
        {
            var status = (await http.GetFromJsonAsync<JsonObject>(location.TrimStart('/'), Ct))!;
            if ((string?)status["state"] is "completed" or "failed" or "cancelled")
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting for {location}; last seen: {status.ToJsonString()}");
            await Task.Delay(100, Ct);
        }
    }
}
