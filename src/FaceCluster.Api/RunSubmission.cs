using System.Text.Json.Nodes;
using FaceCluster.Grains;

namespace FaceCluster.Api;

/// <summary>
/// The body of <c>POST /api/runs</c>: <c>kind</c> (default <c>ppca</c>), <c>out</c> (the output folder, relative to the data
/// root), optionally <c>run_id</c>, and the kind's parameters, either in a <c>parameters</c> object or as the body's other
/// fields (snake_case, as the kind's parameter record names them). The API does not know the kinds: the silo's kind
/// validates the parameters and the coordinator's refusal becomes a 400 naming the field.
/// </summary>
/// <param name="Kind">The run kind.</param>
/// <param name="Out">The output folder.</param>
/// <param name="RunId">The run id, or null to generate one.</param>
/// <param name="Parameters">The kind's parameters as a JSON object.</param>
public sealed record RunSubmission(string Kind, string Out, string? RunId, JsonObject Parameters)
{
    /// <summary>The parameters of the built-in kinds that name files or folders under the data root.</summary>
    private static readonly HashSet<string> PathFields = new(StringComparer.Ordinal) { "x", "y", "judgments", "study", "crops", "model", "targets" };

    private static readonly HashSet<string> Envelope = new(StringComparer.Ordinal) { "kind", "out", "run_id", "parameters" };

    /// <summary>Reads a submission from the body <paramref name="body"/>.</summary>
    /// <exception cref="ArgumentException">The body is not a submission; the message names the field.</exception>
    public static RunSubmission Parse(JsonNode? body)
    {
        if (body is not JsonObject root)
        {
            throw new ArgumentException("the body must be a JSON object of a run (kind, out, parameters)");
        }

        string? Text(string field) => root[field] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            _ => throw new ArgumentException($"{field} must be a string"),
        };

        var kind = (Text("kind") ?? "ppca").Trim().ToLowerInvariant();
        var output = Text("out") ?? throw new ArgumentException("out is required (the output folder, relative to the data root)");
        var parameters = root["parameters"] switch
        {
            null => new JsonObject(),
            JsonObject nested => (JsonObject)nested.DeepClone(),
            _ => throw new ArgumentException("parameters must be a JSON object"),
        };
        foreach (var (name, value) in root.Where(p => !Envelope.Contains(p.Key)))
        {
            if (value is not null)
            {
                parameters[name] = value.DeepClone();
            }
        }

        // Checked here, before the id becomes a grain key or a message: an id too long or malformed is refused, echoed bounded.
        var runId = Text("run_id");
        if (runId is not null && !RunPaths.IsValidRunId(runId))
        {
            throw new ArgumentException(
                $"run_id: '{ApiText.Bounded(runId)}' ({runId.Length} characters) is not a valid run id (1-128 letters, digits, '.', '_' or '-', starting with a letter or digit)");
        }

        return new RunSubmission(kind, output, runId, parameters);
    }

    /// <summary>The request, with the output folder checked against <paramref name="dataRoot"/>.</summary>
    /// <param name="dataRoot">The data root.</param>
    /// <param name="submitter">The name of the token that submits it, or null (anonymous API).</param>
    /// <exception cref="ArgumentException">The output folder leaves the data root.</exception>
    public RunRequest ToRequest(string dataRoot, string? submitter = null)
    {
        DataRootGuard.Check(dataRoot, Out, "out");

        // The silos' kinds check that inputs exist; links that leave the data root are refused here, where requests
        // come from outside (the command line links a user's folders into a run on purpose).
        foreach (var (name, value) in Parameters)
        {
            if (PathFields.Contains(name) && value is JsonValue path && path.TryGetValue<string>(out var text))
            {
                DataRootGuard.Check(dataRoot, text, name);
            }
        }

        return new RunRequest(Kind, Out, Parameters.ToJsonString(), Submitter: submitter);
    }
}
