using FaceCluster.Tables;
using FaceCluster.Vision;

namespace FaceCluster.Cli.Commands;

/// <summary>One image of <c>detect</c> or <c>landmarks</c>: its size and faces, or why it could not be read.</summary>
internal sealed record ImageFacesResult<TFace>(string Path, int? Width, int? Height, string Status, string? Error, IReadOnlyList<TFace> Faces);

/// <summary>
/// What <c>detect</c> and <c>landmarks</c> share: each image decoded and its faces found, an unreadable image listed
/// with its reason and an <c>error:</c> line while the others go on, the results printed as table or JSON, exit 2 when
/// any image could not be read.
/// </summary>
internal static class ImageFaces
{
    /// <summary>Runs <paramref name="find"/> on every image and prints the results with <paramref name="json"/> or <paramref name="table"/>.</summary>
    public static async Task<int> RunAsync<TFace>(
        CliContext context,
        string[] paths,
        string format,
        Func<RgbImage, IReadOnlyList<TFace>> find,
        Func<List<ImageFacesResult<TFace>>, string> json,
        Action<CliContext, List<ImageFacesResult<TFace>>> table,
        CancellationToken cancellationToken)
    {
        var results = new List<ImageFacesResult<TFace>>(paths.Length);
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var image = RgbImage.Decode(path);
                var faces = await Task.Run(() => find(image), cancellationToken).ConfigureAwait(false);
                results.Add(new ImageFacesResult<TFace>(path, image.Width, image.Height, faces.Count > 0 ? "ok" : "no_face", null, faces));
            }
            catch (ImageDecodeException e)
            {
                results.Add(new ImageFacesResult<TFace>(path, null, null, e.ReasonCode, e.Detail, []));
                await context.Error.WriteLineAsync(InvalidInputException.OneLine($"error: {e.Message}")).ConfigureAwait(false);
            }
        }

        if (format == "json")
        {
            await context.Output.WriteLineAsync(json(results)).ConfigureAwait(false);
        }
        else
        {
            table(context, results);
        }

        var failed = results.Count(r => r.Error is not null);
        if (failed > 0)
        {
            await context.Error.WriteLineAsync($"error: {failed} of {results.Count} images could not be read").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        return ExitCodes.Success;
    }
}
