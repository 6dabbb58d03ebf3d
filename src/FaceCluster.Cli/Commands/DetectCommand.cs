using System.CommandLine;
using System.Globalization;
using FaceCluster.Tables;
using FaceCluster.Torch.Checkpoints;
using FaceCluster.Vision;
using Spectre.Console;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster detect IMAGE... [--format table|json] [--models DIR] [--min-face-size N] [--device auto|cpu|cuda]</c>:
/// every face MTCNN finds in each image, with its box, probability and five landmarks.
/// </summary>
/// <remarks>
/// Weights: <c>--models DIR</c>; else <c>$FACECLUSTER_MTCNN_MODELS</c>; else facenet-pytorch's weights built into
/// FaceCluster.Vision (<see cref="MtcnnModels"/>).
/// An image that cannot be read or decoded is reported (status <c>unreadable</c>, <c>corrupt</c>, <c>unsupported</c>
/// or <c>too_large</c>, and an <c>error:</c> line on standard error) and the others are still processed; the command
/// then exits with code 2. An image without a face has status <c>no_face</c> and is not an error.
/// </remarks>
internal static class DetectCommand
{
    private static readonly string[] Formats = ["table", "json"];
    private static readonly string[] LandmarkNames = ["left_eye", "right_eye", "nose", "mouth_left", "mouth_right"];

    /// <summary>Builds the <c>detect</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Description = "Image files (JPEG, PNG, WebP, BMP, GIF).", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format: table (for reading) or json (one object per image).",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Formats);
        var models = ModelsOption();
        var minFaceSize = new Option<int>("--min-face-size")
        {
            Description = "Smallest face searched for, in pixels (at least 12).",
            DefaultValueFactory = _ => new MtcnnOptions().MinFaceSize,
            HelpName = "N",
        };
        var device = DeviceOption();
        var command = new Command("detect", "Find faces with MTCNN (facenet-pytorch's weights) and print their boxes, probabilities and landmarks.")
        {
            images, format, models, minFaceSize, device,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetRequiredValue(images),
            parseResult.GetRequiredValue(format),
            parseResult.GetValue(models),
            new MtcnnOptions { MinFaceSize = parseResult.GetValue(minFaceSize), Device = parseResult.GetRequiredValue(device) },
            cancellationToken));
        return command;
    }

    /// <summary>The <c>--models DIR</c> option.</summary>
    internal static Option<string?> ModelsOption() => new("--models")
    {
        Description = $"Folder with facenet-pytorch's pnet.pt, rnet.pt and onet.pt [default: ${MtcnnModels.DirectoryVariable}, else the weights built into FaceCluster].",
        HelpName = "DIR",
    };

    /// <summary>The <c>--device</c> option.</summary>
    internal static Option<string> DeviceOption() => new("--device")
    {
        Description = "Where the networks run: auto (CUDA when available), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
        HelpName = "auto|cpu|cuda",
    };

    /// <summary>
    /// Loads the detector from the folder <paramref name="models"/>, else <c>$FACECLUSTER_MTCNN_MODELS</c>, else the
    /// embedded weights, turning setup problems into bad-input errors.
    /// </summary>
    internal static Mtcnn LoadDetector(string? models, MtcnnOptions options)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidInputException(string.Join("; ", problems));
        }

        var folder = MtcnnModels.ResolveDirectory(models);
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"MTCNN weights folder {folder} does not exist");
        }

        try
        {
            return folder is null ? Mtcnn.LoadEmbedded(options) : Mtcnn.Load(folder, options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException(e.Message, e);
        }
        catch (CheckpointFormatException e)
        {
            throw new InvalidInputException(e.Message, e);
        }
        catch (InvalidDataException e)
        {
            // The embedded weights do not match their checksums.
            throw new InvalidInputException(e.Message, e);
        }
    }

    private static async Task<int> RunAsync(
        CliContext context, string[] paths, string format, string? models, MtcnnOptions options, CancellationToken cancellationToken)
    {
        // Awaited here: the detector must outlive every image.
        using var detector = LoadDetector(models, options);
        return await ImageFaces.RunAsync(context, paths, format, detector.Detect, Layout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One row per face: box, probability and the five landmarks; in JSON the landmarks by name.</summary>
    private static readonly FaceLayout<FaceDetection> Layout = new(
        ["face", "x1", "y1", "x2", "y2", "probability", .. LandmarkNames],
        (face, number) =>
        [[
            number.ToString(CultureInfo.InvariantCulture),
            F(face.Box.X1), F(face.Box.Y1), F(face.Box.X2), F(face.Box.Y2), face.Probability.ToString("F6", CultureInfo.InvariantCulture),
            .. face.Landmarks.Select(p => $"{F(p.X)},{F(p.Y)}"),
        ]],
        face => face,
        (json, face) =>
        {
            json.WriteStartObject("landmarks");
            for (var i = 0; i < LandmarkNames.Length; i++)
            {
                json.WriteStartArray(LandmarkNames[i]);
                json.WriteNumberValue(face.Landmarks[i].X);
                json.WriteNumberValue(face.Landmarks[i].Y);
                json.WriteEndArray();
            }

            json.WriteEndObject();
        });

    private static string F(float value) => value.ToString("F1", CultureInfo.InvariantCulture);

}
