using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceCluster.Tables;
using Orleans.Storage;

namespace FaceCluster.Grains;

/// <summary>
/// Grain storage in JSON files, the embedded default: one file per grain and state name,
/// <c>{root}/{stateName}/{grainType}/{key}.json</c>, holding <c>{"etag": "N", "state": {...}}</c>. Writes go to a
/// temporary file renamed over the old one (<see cref="AtomicFile"/>), so a crash leaves the previous state or the new
/// one, never half of either. ETags are honoured: a write or clear whose ETag is not the stored one throws
/// <see cref="InconsistentStateException"/>. The ETag check and the write are atomic within one process (every silo
/// of an embedded cluster); processes sharing one folder are not serialised against each other, so a cluster of
/// several processes uses a database-backed provider (for example Redis) under the same name instead.
/// </summary>
public sealed class FileGrainStorage : IGrainStorage
{
    // One lock per file for the whole process: an in-process cluster runs several silos, each with its own provider.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    private readonly string _root;
    private readonly JsonSerializerOptions _json;

    /// <summary>Creates a storage that keeps its files under <paramref name="root"/> (an absolute folder, created when needed).</summary>
    /// <param name="root">The folder of the files.</param>
    /// <param name="jsonOptions">How states are serialised; null: <see cref="DefaultJsonOptions"/>.</param>
    public FileGrainStorage(string root, JsonSerializerOptions? jsonOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Path.IsPathFullyQualified(root))
        {
            throw new ArgumentException($"The grain storage folder must be an absolute path, got '{root}'.", nameof(root));
        }

        _root = root;
        _json = jsonOptions ?? DefaultJsonOptions;
    }

    /// <summary>Indented, property names as declared, enums as their names, NaN and infinities allowed, text unescaped.</summary>
    public static JsonSerializerOptions DefaultJsonOptions { get; } = new(JsonSerializerDefaults.General)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The file that holds <paramref name="stateName"/> of <paramref name="grainId"/>.</summary>
    public string PathOf(string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        return Path.Combine(_root, Escape(stateName), Escape(grainId.Type.ToString()!), Escape(grainId.Key.ToString()!) + ".json");
    }

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var path = PathOf(stateName, grainId);
        await ExclusiveAsync(path, async () =>
        {
            var stored = await ReadFileAsync(path).ConfigureAwait(false);
            if (stored is null)
            {
                grainState.State = Activator.CreateInstance<T>();
                grainState.ETag = null;
                grainState.RecordExists = false;
                return;
            }

            grainState.State = stored.Value.State.Deserialize<T>(_json) ?? Activator.CreateInstance<T>();
            grainState.ETag = stored.Value.ETag;
            grainState.RecordExists = true;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var path = PathOf(stateName, grainId);
        await ExclusiveAsync(path, async () =>
        {
            var current = (await ReadFileAsync(path).ConfigureAwait(false))?.ETag;
            Check(path, "write", current, grainState.ETag);
            var etag = NextETag(current);
            var content = new JsonObject
            {
                ["etag"] = etag,
                ["state"] = JsonSerializer.SerializeToNode(grainState.State, _json),
            };
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await AtomicFile.WriteAsync(
                path,
                async (stream, ct) =>
                {
                    await JsonSerializer.SerializeAsync(stream, content, _json, ct).ConfigureAwait(false);
                    stream.WriteByte((byte)'\n');
                }).ConfigureAwait(false);
            grainState.ETag = etag;
            grainState.RecordExists = true;
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var path = PathOf(stateName, grainId);
        await ExclusiveAsync(path, async () =>
        {
            var current = (await ReadFileAsync(path).ConfigureAwait(false))?.ETag;
            Check(path, "clear", current, grainState.ETag);
            File.Delete(path);
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> holding this process's lock on <paramref name="path"/>.</summary>
    private static async Task ExclusiveAsync(string path, Func<Task> action)
    {
        var gate = Locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private static void Check(string path, string operation, string? stored, string? expected)
    {
        if (!string.Equals(stored, expected, StringComparison.Ordinal))
        {
            throw new InconsistentStateException(
                $"Cannot {operation} grain state {path}: it was written by someone else meanwhile (stored ETag {stored ?? "none"}, expected {expected ?? "none"}).",
                stored ?? "none",
                expected ?? "none");
        }
    }

    private static string NextETag(string? current) =>
        long.TryParse(current, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version)
            ? (version + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "1";

    private static async Task<(string ETag, JsonElement State)?> ReadFileAsync(string path)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var etag = root.GetProperty("etag").GetString() ?? throw new JsonException("null etag");
            return (etag, root.GetProperty("state").Clone());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Grain state file {path} is damaged ({e.Message}); move it away to start that grain afresh.", e);
        }
    }

    private static string Escape(string part) => Uri.EscapeDataString(part).Replace("%", "~", StringComparison.Ordinal);
}
