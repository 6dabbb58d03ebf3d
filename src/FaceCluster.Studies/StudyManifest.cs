using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>
/// The manifest of a study folder, <c>study.json</c> (study-format.md): the study's name, its countries and concept
/// keys (both in the order of the derived tables' columns), each country's language, and optional display names of
/// the concepts per country.
/// </summary>
/// <remarks>
/// Reading is strict: the fields <c>name</c> (a non-empty string), <c>countries</c> and <c>concepts</c> (non-empty
/// arrays of distinct non-empty strings; a country may not contain <c>:</c>, which separates country and concept in
/// attribute names) and <c>languages</c> (an object giving a non-empty language for every country, and nothing
/// else) are required; <c>labels</c> is optional (an object of countries, each an object of concepts to non-empty
/// display names). Duplicate keys, comments and trailing commas are refused; other top-level fields are reported as
/// warnings and ignored. Every problem names the field (for example <c>countries[2]</c>).
/// </remarks>
public sealed class StudyManifest
{
    /// <summary>The file name of the manifest inside a study folder.</summary>
    public const string FileName = "study.json";

    private static readonly string[] KnownFields = ["name", "countries", "concepts", "languages", "labels"];

    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Dictionary<string, int> _countryIndex;
    private readonly Dictionary<string, int> _conceptIndex;

    /// <summary>Creates a manifest.</summary>
    /// <param name="name">The study's name.</param>
    /// <param name="countries">Country codes, in column order.</param>
    /// <param name="concepts">Concept keys, in column order within each country.</param>
    /// <param name="languages">The language of each country (every country, no other key).</param>
    /// <param name="labels">Optional display names: country, then concept key, then name.</param>
    /// <exception cref="ArgumentException">The values break the rules of <see cref="StudyManifest"/>.</exception>
    public StudyManifest(
        string name,
        IReadOnlyList<string> countries,
        IReadOnlyList<string> concepts,
        IReadOnlyDictionary<string, string> languages,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(countries);
        ArgumentNullException.ThrowIfNull(concepts);
        ArgumentNullException.ThrowIfNull(languages);
        var problems = new List<StudyProblem>();
        var json = ToJsonObject(name, countries, concepts, languages, labels);
        var parsed = FromJson(json, FileName, problems);
        if (parsed is null || problems.Any(p => p.IsError))
        {
            throw new ArgumentException(string.Join("; ", problems.Where(p => p.IsError).Select(p => p.ToString())));
        }

        Name = parsed.Value.Name;
        Countries = parsed.Value.Countries;
        Concepts = parsed.Value.Concepts;
        Languages = parsed.Value.Languages;
        Labels = parsed.Value.Labels;
        _countryIndex = IndexOf(Countries);
        _conceptIndex = IndexOf(Concepts);
        Attributes = [.. Countries.SelectMany(country => Concepts.Select(concept => AttributeName(country, concept)))];
    }

    /// <summary>The study's name.</summary>
    public string Name { get; }

    /// <summary>The country codes, in manifest (column) order.</summary>
    public IReadOnlyList<string> Countries { get; }

    /// <summary>The concept keys, in manifest (column) order.</summary>
    public IReadOnlyList<string> Concepts { get; }

    /// <summary>The language of each country.</summary>
    public IReadOnlyDictionary<string, string> Languages { get; }

    /// <summary>Display names of concepts per country (possibly empty; a missing name falls back to the key).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Labels { get; }

    /// <summary>
    /// The attribute names of the derived wide tables, <c>{country}:{concept}</c>, country-major in manifest order
    /// (<c>c * q</c> of them; attribute <c>a * q + k</c> is country <c>a</c>, concept <c>k</c>).
    /// </summary>
    public IReadOnlyList<string> Attributes { get; }

    /// <summary>The attribute name of <paramref name="country"/> and <paramref name="concept"/>: <c>US:Anger</c>.</summary>
    public static string AttributeName(string country, string concept) => $"{country}:{concept}";

    /// <summary>The 0-based position of <paramref name="country"/> in <see cref="Countries"/>, or -1.</summary>
    public int IndexOfCountry(string country) => _countryIndex.GetValueOrDefault(country, -1);

    /// <summary>The 0-based position of <paramref name="concept"/> in <see cref="Concepts"/>, or -1.</summary>
    public int IndexOfConcept(string concept) => _conceptIndex.GetValueOrDefault(concept, -1);

    /// <summary>The display name of <paramref name="concept"/> in <paramref name="country"/> (the key when none is given).</summary>
    public string Label(string country, string concept) =>
        Labels.TryGetValue(country, out var names) && names.TryGetValue(concept, out var label) ? label : concept;

    /// <summary>Reads <paramref name="path"/>, throwing on the first error (warnings are ignored).</summary>
    /// <exception cref="InvalidInputException">The file is missing, not JSON, or a field is missing or invalid; the message names the field.</exception>
    public static StudyManifest Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var problems = new List<StudyProblem>();
        var manifest = Read(path, path, problems);
        if (problems.FirstOrDefault(p => p.IsError) is { } error)
        {
            throw InvalidInputException.InFile(
                path, error.Column is null ? error.Message : $"field \"{error.Column}\": {error.Message}", (int?)error.Row);
        }

        return manifest!;
    }

    /// <summary>Parses manifest text, throwing on the first error; <paramref name="file"/> is named in messages.</summary>
    /// <exception cref="InvalidInputException">Not JSON, or a field is missing or invalid.</exception>
    public static StudyManifest Parse(string json, string file = FileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        var problems = new List<StudyProblem>();
        var manifest = Parse(json, file, problems);
        if (problems.FirstOrDefault(p => p.IsError) is { } error)
        {
            throw InvalidInputException.InFile(
                file, error.Column is null ? error.Message : $"field \"{error.Column}\": {error.Message}", (int?)error.Row);
        }

        return manifest!;
    }

    /// <summary>The manifest as indented JSON (the format <see cref="Read(string)"/> reads).</summary>
    public string ToJson() =>
        ToJsonObject(Name, Countries, Concepts, Languages, Labels.Count == 0 ? null : Labels).ToJsonString(WriteOptions) + "\n";

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public Task WriteAsync(string path, CancellationToken cancellationToken = default) =>
        AtomicFile.WriteTextAsync(path, (writer, _) => writer.WriteAsync(ToJson()), cancellationToken);

    /// <summary>Reads the manifest, adding every problem to <paramref name="problems"/>; null when it cannot be used.</summary>
    internal static StudyManifest? Read(string path, string file, ICollection<StudyProblem> problems)
    {
        if (!File.Exists(path))
        {
            problems.Add(Error(StudyProblemKind.ManifestMissing, file, null, Directory.Exists(path) ? "is a folder, not a file" : "file not found; a study folder needs a study.json manifest"));
            return null;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(Error(StudyProblemKind.ManifestMissing, file, null, $"cannot be read ({InvalidInputException.OneLine(e.Message)})"));
            return null;
        }

        return Parse(text, file, problems);
    }

    /// <summary>Parses manifest text, adding every problem to <paramref name="problems"/>; null when it cannot be used.</summary>
    internal static StudyManifest? Parse(string text, string file, ICollection<StudyProblem> problems)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(
                text,
                documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            problems.Add(Error(StudyProblemKind.ManifestSyntax, file, e.LineNumber + 1, null, $"not valid JSON ({Brief(e.Message)})"));
            return null;
        }

        if (root is not JsonObject json)
        {
            problems.Add(Error(StudyProblemKind.ManifestSyntax, file, null, "must be a JSON object with name, countries, concepts and languages"));
            return null;
        }

        var before = problems.Count(p => p.IsError);
        var parsed = FromJson(json, file, problems);
        if (parsed is null || problems.Count(p => p.IsError) > before)
        {
            return null;
        }

        var value = parsed.Value;
        return new StudyManifest(value.Name, value.Countries, value.Concepts, value.Languages, value.Labels);
    }

    private static (string Name, string[] Countries, string[] Concepts, Dictionary<string, string> Languages,
        Dictionary<string, IReadOnlyDictionary<string, string>> Labels)? FromJson(JsonObject json, string file, ICollection<StudyProblem> problems)
    {
        foreach (var (key, _) in json)
        {
            if (!KnownFields.Contains(key))
            {
                problems.Add(new StudyProblem(
                    StudyProblemSeverity.Warning, StudyProblemKind.ManifestUnknownField, file, null, key, "not a field of study.json; ignored"));
            }
        }

        string? name = null;
        if (!json.TryGetPropertyValue("name", out var nameNode))
        {
            Field(file, "name", "missing; the study needs a name", problems);
        }
        else if (nameNode is JsonValue v && v.TryGetValue<string>(out var s))
        {
            name = s.Trim().Length > 0 ? s : null;
            if (name is null)
            {
                Field(file, "name", "must not be empty", problems);
            }
        }
        else
        {
            Field(file, "name", "must be a string", problems);
        }

        var countries = Keys(json, "countries", "country codes", file, problems);
        var concepts = Keys(json, "concepts", "concept keys", file, problems);
        for (var i = 0; i < countries?.Length; i++)
        {
            if (countries[i].Contains(':', StringComparison.Ordinal))
            {
                Field(file, $"countries[{i}]", $"\"{countries[i]}\" contains ':', which separates country and concept in column names", problems);
            }
        }

        var languages = ParseLanguages(json, countries, file, problems);
        var labels = ParseLabels(json, countries, concepts, file, problems);
        return name is null || countries is null || concepts is null || languages is null || labels is null
            ? null
            : (name, countries, concepts, languages, labels);
    }

    private static string[]? Keys(JsonObject json, string field, string what, string file, ICollection<StudyProblem> problems)
    {
        if (!json.TryGetPropertyValue(field, out var node))
        {
            Field(file, field, $"missing; the study needs its {what} in column order", problems);
            return null;
        }

        if (node is not JsonArray array)
        {
            Field(file, field, $"must be an array of {what}", problems);
            return null;
        }

        if (array.Count == 0)
        {
            Field(file, field, $"must list at least one of the {what}", problems);
            return null;
        }

        // The keys come back even when some are invalid (the caller sees the errors), so that checks depending on
        // them (languages, labels, separators) still run and every problem is reported.
        var keys = new List<string>(array.Count);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0)
            {
                if (s.Trim() != s)
                {
                    Field(file, $"{field}[{i}]", $"\"{s}\" has leading or trailing spaces", problems);
                }
                else if (!seen.TryAdd(s, i))
                {
                    Field(file, $"{field}[{i}]", $"\"{s}\" appears twice (also {field}[{seen[s]}])", problems);
                }

                keys.Add(s);
            }
            else
            {
                Field(file, $"{field}[{i}]", "must be a non-empty string", problems);
            }
        }

        return [.. keys];
    }

    private static Dictionary<string, string>? ParseLanguages(JsonObject json, string[]? countries, string file, ICollection<StudyProblem> problems)
    {
        if (!json.TryGetPropertyValue("languages", out var node))
        {
            Field(file, "languages", "missing; give the language of every country, for example {\"US\": \"en\"}", problems);
            return null;
        }

        if (node is not JsonObject languages)
        {
            Field(file, "languages", "must be an object of country code to language", problems);
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var ok = true;
        foreach (var (country, value) in languages)
        {
            if (countries is not null && !countries.Contains(country))
            {
                ok = Fail(file, $"languages.{country}", $"\"{country}\" is not one of the countries", problems);
            }
            else if (value is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0)
            {
                result[country] = s;
            }
            else
            {
                ok = Fail(file, $"languages.{country}", "must be a non-empty string (a language code)", problems);
            }
        }

        foreach (var country in countries ?? [])
        {
            if (!languages.ContainsKey(country))
            {
                ok = Fail(file, "languages", $"no language for country \"{country}\"", problems);
            }
        }

        return ok ? result : null;
    }

    private static Dictionary<string, IReadOnlyDictionary<string, string>>? ParseLabels(
        JsonObject json, string[]? countries, string[]? concepts, string file, ICollection<StudyProblem> problems)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (!json.TryGetPropertyValue("labels", out var node) || node is null)
        {
            return result;
        }

        if (node is not JsonObject labels)
        {
            Field(file, "labels", "must be an object of country code to an object of concept key to display name", problems);
            return null;
        }

        var ok = true;
        foreach (var (country, value) in labels)
        {
            if (countries is not null && !countries.Contains(country))
            {
                ok = Fail(file, $"labels.{country}", $"\"{country}\" is not one of the countries", problems);
                continue;
            }

            if (value is not JsonObject names)
            {
                ok = Fail(file, $"labels.{country}", "must be an object of concept key to display name", problems);
                continue;
            }

            var countryLabels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (concept, label) in names)
            {
                if (concepts is not null && !concepts.Contains(concept))
                {
                    ok = Fail(file, $"labels.{country}.{concept}", $"\"{concept}\" is not one of the concepts", problems);
                }
                else if (label is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0)
                {
                    countryLabels[concept] = s;
                }
                else
                {
                    ok = Fail(file, $"labels.{country}.{concept}", "must be a non-empty string", problems);
                }
            }

            result[country] = countryLabels;
        }

        return ok ? result : null;
    }

    private static JsonObject ToJsonObject(
        string name,
        IReadOnlyList<string> countries,
        IReadOnlyList<string> concepts,
        IReadOnlyDictionary<string, string> languages,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? labels)
    {
        var json = new JsonObject
        {
            ["name"] = name,
            ["countries"] = new JsonArray([.. countries.Select(c => (JsonNode?)JsonValue.Create(c))]),
            ["concepts"] = new JsonArray([.. concepts.Select(c => (JsonNode?)JsonValue.Create(c))]),
            ["languages"] = new JsonObject(languages.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)JsonValue.Create(l.Value)))),
        };
        if (labels is not null)
        {
            json["labels"] = new JsonObject(labels.Select(country => KeyValuePair.Create(
                country.Key,
                (JsonNode?)new JsonObject(country.Value.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)JsonValue.Create(l.Value)))))));
        }

        return json;
    }

    /// <summary>Records an error about a field.</summary>
    private static void Field(string file, string field, string message, ICollection<StudyProblem> problems) =>
        problems.Add(new StudyProblem(StudyProblemSeverity.Error, StudyProblemKind.ManifestField, file, null, field, message));

    /// <summary>Records an error about a field and returns false (for <c>ok = Fail(...)</c>).</summary>
    private static bool Fail(string file, string field, string message, ICollection<StudyProblem> problems)
    {
        Field(file, field, message, problems);
        return false;
    }

    private static StudyProblem Error(StudyProblemKind kind, string file, long? row, string message) =>
        new(StudyProblemSeverity.Error, kind, file, row, null, message);

    private static StudyProblem Error(StudyProblemKind kind, string file, long? row, string? column, string message) =>
        new(StudyProblemSeverity.Error, kind, file, row, column, message);

    private static string Brief(string message)
    {
        var text = InvalidInputException.OneLine(message).Trim();
        return text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");
    }

    private static Dictionary<string, int> IndexOf(IReadOnlyList<string> keys)
    {
        var index = new Dictionary<string, int>(keys.Count, StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            index[keys[i]] = i;
        }

        return index;
    }
}
