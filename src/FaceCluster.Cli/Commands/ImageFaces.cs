using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FaceCluster.Tables;
using FaceCluster.Vision;
using Spectre.Console;

namespace FaceCluster.Cli.Commands;

/// <summary>One image of <c>detect</c> or <c>landmarks</c>: its size and faces, or why it could not be read.</summary>
internal sealed record ImageFacesResult<TFace>(string Path, int? Width, int? Height, string Status, string? Error, IReadOnlyList<TFace> Faces);

/// <summary>
/// How a command prints its faces: the table's columns after <c>image</c> and <c>status</c> and a face's rows of them
/// (from the face and its 1-based number); for JSON, the face's detection (box and probability) and what follows it.
/// </summary>
internal sealed record FaceLayout<TFace>(
    string[] Columns, Func<TFace, int, IEnumerable<string[]>> Rows, Func<TFace, FaceDetection> Detection, Action<Utf8JsonWriter, TFace> WriteDetails);

/// <summary>
/// What <c>detect</c> and <c>landmarks</c> share: each image decoded and its faces found, an unreadable image listed
/// with its reason and an <c>error:</c> line while the others go on, the results printed as table or JSON, exit 2 when
/// any image could not be read.
/// </summary>
internal static class ImageFaces
{
    /// <summary>Runs <paramref name="find"/> on every image and prints the results as <paramref name="layout"/> says.</summary>
    public static async Task<int> RunAsync<TFace>(
        CliContext context,
        string[] paths,
        string format,
        Func<RgbImage, IReadOnlyList<TFace>> find,
        FaceLayout<TFace> layout,
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
            await context.Output.WriteLineAsync(Json(results, layout)).ConfigureAwait(false);
        }
        else
        {
            WriteTable(context, results, layout);
        }

        var failed = results.Count(r => r.Error is not null);
        if (failed > 0)
        {
            await context.Error.WriteLineAsync($"error: {failed} of {results.Count} images could not be read").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        return ExitCodes.Success;
    }

    private static void WriteTable<TFace>(CliContext context, List<ImageFacesResult<TFace>> results, FaceLayout<TFace> layout)
    {
        var table = new Spectre.Console.Table { Border = TableBorder.Rounded };
        string[] headers = ["image", "status", .. layout.Columns];
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)) { Alignment = header is "image" or "status" ? Justify.Left : Justify.Right });
        }

        var widths = headers.Select(h => h.Length).ToArray();
        void Add(string[] cells)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                widths[i] = Math.Max(widths[i], cells[i].Length);
            }

            table.AddRow(cells.Select(c => new Text(c)));
        }

        foreach (var result in results)
        {
            if (result.Faces.Count == 0)
            {
                Add([result.Path, result.Status, .. layout.Columns.Select(_ => "")]);
                continue;
            }

            for (var i = 0; i < result.Faces.Count; i++)
            {
                foreach (var row in layout.Rows(result.Faces[i], i + 1))
                {
                    Add([result.Path, result.Status, .. row]);
                }
            }
        }

        context.CreateOutputConsole(Math.Max(80, 1 + widths.Sum(w => w + 3))).Write(table);
    }

    private static string Json<TFace>(List<ImageFacesResult<TFace>> results, FaceLayout<TFace> layout)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var result in results)
            {
                json.WriteStartObject();
                json.WriteString("image", result.Path);
                json.WriteString("status", result.Status);
                if (result.Error is not null)
                {
                    json.WriteString("error", result.Error);
                }
                else
                {
                    json.WriteNumber("width", result.Width!.Value);
                    json.WriteNumber("height", result.Height!.Value);
                }

                json.WriteStartArray("faces");
                foreach (var face in result.Faces)
                {
                    var detection = layout.Detection(face);
                    json.WriteStartObject();
                    json.WriteStartArray("box");
                    foreach (var v in new[] { detection.Box.X1, detection.Box.Y1, detection.Box.X2, detection.Box.Y2 })
                    {
                        json.WriteNumberValue(v);
                    }

                    json.WriteEndArray();
                    json.WriteNumber("probability", detection.Probability);
                    layout.WriteDetails(json, face);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
