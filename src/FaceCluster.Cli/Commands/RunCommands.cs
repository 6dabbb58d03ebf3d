using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster submit</c>, <c>status</c> and <c>results</c>: clients of the HTTP API (<c>/api/runs</c>). The token
/// comes from <c>--token-file</c> or <c>FACECLUSTER_API_TOKEN</c>; the API from <c>--api</c> or <c>FACECLUSTER_API</c>.
/// 400, 401 and 404 are bad input (exit 2); a refused connection or a server error exits 1.
/// </summary>
internal static class RunCommands
{
    /// <summary>The environment variable of the bearer token.</summary>
    public const string TokenVariable = "FACECLUSTER_API_TOKEN";

    /// <summary>The environment variable of the API's address.</summary>
    public const string ApiVariable = "FACECLUSTER_API";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Builds <c>submit</c>.</summary>
    public static Command CreateSubmit(CliContext context)
    {
        var connection = new Connection();
        var kind = new Option<string>("--kind") { Description = "ppca or gppca.", DefaultValueFactory = _ => "ppca" };
        var x = new Option<string?>("--x") { Description = "PPCA: the DNN outputs table, relative to the cluster's data root.", HelpName = "PATH" };
        var y = new Option<string?>("--y") { Description = "PPCA: the human judgments table, relative to the data root.", HelpName = "PATH" };
        var judgments = new Option<string?>("--judgments") { Description = "G-PPCA: the judgments table, relative to the data root.", HelpName = "PATH" };
        var output = new Option<string>("--out", "-o") { Description = "Output folder relative to the data root (must not exist).", Required = true, HelpName = "DIR" };
        var bootstrap = new Option<int?>("--bootstrap") { Description = "Dimension-bootstrap resamples B [default: 1000].", HelpName = "B" };
        var replicates = new Option<int?>("--replicates") { Description = "Loading-significance replicates R [default: 1000].", HelpName = "R" };
        var inner = new Option<int?>("--inner-bootstrap") { Description = "Bootstrap resamples inside each replicate [default: B].", HelpName = "N" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of every random stream [default: 1]." };
        var loo = new Option<string?>("--loo") { Description = "Leave-one-out method: fast or naive [default: fast]." };
        var rangeSize = new Option<int?>("--range-size") { Description = "Units per work range (0: chosen by the cluster).", HelpName = "N" };
        var runId = new Option<string?>("--run-id") { Description = "The run id [default: generated].", HelpName = "ID" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the run finishes and print its final status." };
        var command = new Command("submit", "Submit a run to a FaceCluster HTTP API.")
        {
            kind, x, y, judgments, output, bootstrap, replicates, inner, seed, loo, rangeSize, runId, wait,
        };
        connection.AddTo(command, withToken: true);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var http = connection.Create(parseResult, requireToken: true);
            var body = new JsonObject
            {
                ["kind"] = parseResult.GetValue(kind),
                ["x"] = parseResult.GetValue(x),
                ["y"] = parseResult.GetValue(y),
                ["judgments"] = parseResult.GetValue(judgments),
                ["out"] = parseResult.GetRequiredValue(output),
                ["bootstrap"] = parseResult.GetValue(bootstrap),
                ["replicates"] = parseResult.GetValue(replicates),
                ["inner_bootstrap"] = parseResult.GetValue(inner),
                ["seed"] = parseResult.GetValue(seed),
                ["loo"] = parseResult.GetValue(loo),
                ["range_size"] = parseResult.GetValue(rangeSize),
                ["run_id"] = parseResult.GetValue(runId),
            };
            var status = await SendAsync(context, http, HttpMethod.Post, "api/runs", body, cancellationToken).ConfigureAwait(false);
            if (status is null)
            {
                return ExitCodes.Failure;
            }

            var id = status["run_id"]?.GetValue<string>() ?? string.Empty;
            await context.Error.WriteLineAsync($"submitted run {id}").ConfigureAwait(false);
            if (!parseResult.GetValue(wait))
            {
                await context.Output.WriteLineAsync(id).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            string? lastStage = null;
            while (status["state"]?.GetValue<string>() is "pending" or "running" or "aggregating")
            {
                var stage = status["stage"]?.GetValue<string>();
                if (stage != lastStage)
                {
                    await context.Error.WriteLineAsync($"{id}: {stage}").ConfigureAwait(false);
                    lastStage = stage;
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
                status = await SendAsync(context, http, HttpMethod.Get, $"api/runs/{Uri.EscapeDataString(id)}", null, cancellationToken).ConfigureAwait(false);
                if (status is null)
                {
                    return ExitCodes.Failure;
                }
            }

            await context.Output.WriteLineAsync(status.ToJsonString(Indented)).ConfigureAwait(false);
            return status["state"]?.GetValue<string>() == "completed" ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>Builds <c>status</c>.</summary>
    public static Command CreateStatus(CliContext context) => CreateGet(context, "status", "Print the status of a run (state, stage, progress, ETA) as JSON.", id => $"api/runs/{id}");

    /// <summary>Builds <c>results</c>.</summary>
    public static Command CreateResults(CliContext context) =>
        CreateGet(context, "results", "Print the output files and summary.json of a completed run as JSON.", id => $"api/runs/{id}/results");

    private static Command CreateGet(CliContext context, string name, string description, Func<string, string> path)
    {
        var connection = new Connection();
        var runId = new Argument<string>("RUN_ID") { Description = "The run id." };
        var command = new Command(name, description) { runId };
        connection.AddTo(command, withToken: true);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var http = connection.Create(parseResult, requireToken: false);
            var id = Uri.EscapeDataString(parseResult.GetRequiredValue(runId));
            var result = await SendAsync(context, http, HttpMethod.Get, path(id), null, cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                return ExitCodes.Failure;
            }

            await context.Output.WriteLineAsync(result.ToJsonString(Indented)).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Sends a request; returns the JSON answer, throws <see cref="InvalidInputException"/> for 400, 401, 404 and 409,
    /// and writes one error line and returns null for a refused connection or a server error.
    /// </summary>
    private static async Task<JsonObject?> SendAsync(CliContext context, HttpClient http, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            await context.Error.WriteLineAsync($"error: cannot connect to the API at {http.BaseAddress}: {InvalidInputException.OneLine(e.Message)}").ConfigureAwait(false);
            return null;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonObject? json = null;
            try
            {
                json = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
            }
            catch (JsonException)
            {
                // Not JSON (a proxy's page, for example): the status code says enough.
            }

            var message = json?["error"]?.GetValue<string>();
            switch (response.StatusCode)
            {
                case var code when response.IsSuccessStatusCode:
                    return json ?? throw new InvalidOperationException($"the API answered {(int)code} without a JSON object");
                case HttpStatusCode.Unauthorized:
                    throw new InvalidInputException($"the API at {http.BaseAddress} refused the token (401): give a valid one with --token-file or {TokenVariable}");
                case HttpStatusCode.NotFound:
                    throw new InvalidInputException(message ?? $"not found (404): {path}");
                case HttpStatusCode.BadRequest:
                    throw new InvalidInputException($"the API refused the request: {message ?? "400 Bad Request"}");
                case HttpStatusCode.Conflict:
                    throw new InvalidInputException(message ?? "conflict (409)");
                default:
                    await context.Error.WriteLineAsync(
                        $"error: the API answered {(int)response.StatusCode} {response.ReasonPhrase}{(message is null ? string.Empty : ": " + InvalidInputException.OneLine(message))}").ConfigureAwait(false);
                    return null;
            }
        }
    }

    /// <summary>The options that say where the API is and how to authenticate.</summary>
    private sealed class Connection
    {
        private readonly Option<string?> _api = new("--api") { Description = $"The API's base address, for example http://host:8080 [default: {ApiVariable}].", HelpName = "URL" };
        private readonly Option<string?> _tokenFile = new("--token-file") { Description = $"A file holding the bearer token [default: {TokenVariable}].", HelpName = "FILE" };

        public void AddTo(Command command, bool withToken)
        {
            command.Add(_api);
            if (withToken)
            {
                command.Add(_tokenFile);
            }
        }

        public HttpClient Create(ParseResult parseResult, bool requireToken)
        {
            var api = parseResult.GetValue(_api) ?? Environment.GetEnvironmentVariable(ApiVariable);
            if (string.IsNullOrWhiteSpace(api) || !Uri.TryCreate(api.TrimEnd('/') + "/", UriKind.Absolute, out var address)
                || address.Scheme is not ("http" or "https"))
            {
                throw new InvalidInputException($"--api (or {ApiVariable}) must be the API's http(s) address, got '{api}'");
            }

            string? token;
            if (parseResult.GetValue(_tokenFile) is { } file)
            {
                token = File.ReadAllText(file).Trim();
            }
            else
            {
                token = Environment.GetEnvironmentVariable(TokenVariable)?.Trim();
            }

            if (requireToken && string.IsNullOrEmpty(token))
            {
                throw new InvalidInputException($"a bearer token is required: --token-file FILE or {TokenVariable}");
            }

            var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(100) };
            if (!string.IsNullOrEmpty(token))
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return http;
        }
    }
}
