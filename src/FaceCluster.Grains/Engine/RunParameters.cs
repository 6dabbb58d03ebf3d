using System.Text.Json;
using System.Text.Json.Serialization;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>Reads and writes the typed parameters a <see cref="RunRequest"/> carries as JSON.</summary>
public static class RunParameters
{
    /// <summary>A request of <paramref name="kind"/> with <paramref name="parameters"/> (serialised in snake_case).</summary>
    public static RunRequest Request<T>(string kind, string outputPath, T parameters) =>
        new(kind, outputPath, JsonSerializer.Serialize(parameters, Json));

    /// <summary>The JSON of parameters: snake_case names, enums as snake_case strings, compact.</summary>
    public static JsonSerializerOptions Json { get; } = CreateJson(strict: false);

    /// <summary>The parameters of <paramref name="request"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="InvalidInputException">Not valid JSON for <typeparamref name="T"/>; the message names the field.</exception>
    public static T Read<T>(RunRequest request)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return JsonSerializer.Deserialize<T>(string.IsNullOrWhiteSpace(request.Parameters) ? "{}" : request.Parameters, StrictJson)
                ?? throw new InvalidInputException($"{request.Kind} parameters: empty");
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path[2..] : "(the document)";
            throw new InvalidInputException($"{request.Kind} parameters: field '{field}': {FirstSentence(e.Message)}");
        }
    }

    /// <summary>
    /// Every problem with <paramref name="request"/>'s parameters: the JSON that does not read as <typeparamref name="T"/>,
    /// else what <see cref="IRunParameters.Validate"/> finds.
    /// </summary>
    public static List<string> Validate<T>(RunRequest request, string dataRoot)
        where T : class, IRunParameters
    {
        var errors = Check<T>(request, out var parameters).ToList();
        if (parameters is not null)
        {
            errors.AddRange(parameters.Validate(dataRoot));
        }

        return errors;
    }

    /// <summary>The problems of reading <paramref name="request"/>'s parameters, or none.</summary>
    public static IReadOnlyList<string> Check<T>(RunRequest request, out T? parameters)
        where T : class
    {
        try
        {
            parameters = Read<T>(request);
            return [];
        }
        catch (InvalidInputException e)
        {
            parameters = null;
            return [e.Message];
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return InvalidInputException.OneLine(end > 0 ? message[..end] : message);
    }

    /// <summary>Snake case, and unknown fields refused: a misspelt setting must not be silently ignored.</summary>
    private static readonly JsonSerializerOptions StrictJson = CreateJson(strict: true);

    private static JsonSerializerOptions CreateJson(bool strict)
    {
        var options = new JsonSerializerOptions(AtomicFile.JsonOptions)
        {
            WriteIndented = false,
            UnmappedMemberHandling = strict ? JsonUnmappedMemberHandling.Disallow : JsonUnmappedMemberHandling.Skip,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
