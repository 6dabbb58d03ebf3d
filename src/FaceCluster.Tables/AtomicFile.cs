using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceCluster.Tables;

/// <summary>
/// Writes files all at once or not at all: the content goes to a hidden temporary file in the target's folder
/// (<c>.NAME.tmp-RANDOM</c>), is flushed to disk, and is then renamed over the target. If writing fails or is
/// cancelled, the temporary file is deleted and an existing target is left untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// The options of <see cref="WriteJsonAsync{T}"/>: indented, property names in <c>snake_case</c> (so a C# property
    /// <c>NSignificant</c> is written <c>n_significant</c>; dictionary keys are kept as they are), NaN and infinities as
    /// the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>, non-ASCII text unescaped.
    /// </summary>
    public static JsonSerializerOptions JsonOptions { get; } = CreateJsonOptions();

    /// <summary>Writes a file through <paramref name="write"/>, which gets a writable, seekable stream.</summary>
    public static async Task WriteAsync(
        string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target)
            ?? throw new ArgumentException($"{path} has no parent folder.", nameof(path));
        var temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.tmp-{RandomSuffix()}");
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Writes UTF-8 text (without a byte order mark) through <paramref name="write"/>.</summary>
    public static Task WriteTextAsync(
        string path, Func<TextWriter, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return WriteAsync(
            path,
            async (stream, ct) =>
            {
                var writer = new StreamWriter(stream, leaveOpen: true);
                await using (writer.ConfigureAwait(false))
                {
                    await write(writer, ct).ConfigureAwait(false);
                }
            },
            cancellationToken);
    }

    /// <summary>Serializes <paramref name="value"/> with <see cref="JsonOptions"/> (for example <c>summary.json</c>), ending with a newline.</summary>
    public static Task WriteJsonAsync<T>(string path, T value, CancellationToken cancellationToken = default) =>
        WriteAsync(
            path,
            async (stream, ct) =>
            {
                await JsonSerializer.SerializeAsync(stream, value, JsonOptions, ct).ConfigureAwait(false);
                stream.WriteByte((byte)'\n');
            },
            cancellationToken);

    /// <summary>A short random string for temporary names.</summary>
    internal static string RandomSuffix() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>Deletes a temporary file if it can; a leftover hidden file matters less than the error being reported.</summary>
    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original error matters more than a leftover temporary file.
        }
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
