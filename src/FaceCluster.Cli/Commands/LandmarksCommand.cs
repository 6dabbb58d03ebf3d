using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FaceCluster.Tables;
using FaceCluster.Vision;
using Spectre.Console;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster landmarks IMAGE... [--format table|json] [--models DIR] [--min-face-size N] [--device auto|cpu|cuda]</c>:
/// the faces MTCNN finds (as <c>detect</c>), each with face-api.js's 68 landmarks (iBUG 300-W order) in image pixels;
/// and <c>facecluster bench landmarks IMAGE... [--rounds N]</c>, landmarks per second on those faces.
/// </summary>
/// <remarks>
/// The options and the handling of unreadable images are <c>detect</c>'s: an image that cannot be read is reported
/// (an <c>error:</c> line) and the others processed, then the exit code is 2. The landmark network runs on the CPU with
/// the weights built into FaceCluster.Vision (<see cref="FaceLandmarkModels"/>); <c>--device</c> places MTCNN.
/// </remarks>
internal static class LandmarksCommand
{
    private static readonly string[] Formats = ["table", "json"];

    /// <summary>Builds the <c>landmarks</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Description = "Image files (JPEG, PNG, WebP, BMP, GIF).", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format: table (one row per point) or json (one object per image).",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Formats);
        var (models, minFaceSize, device) = DetectorOptions();
        var command = new Command("landmarks", "Find faces with MTCNN and print face-api.js's 68 landmarks of each (iBUG 300-W order).")
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

    /// <summary>Builds <c>bench landmarks</c>.</summary>
    public static Command CreateBench(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Description = "Image files whose faces are used.", Arity = ArgumentArity.OneOrMore };
        var rounds = new Option<int>("--rounds") { Description = "Timed passes over all faces (the median is reported).", DefaultValueFactory = _ => 10, HelpName = "N" };
        var (models, minFaceSize, device) = DetectorOptions();
        var command = new Command("landmarks", "Landmarks per second: face-api.js's 68-point network with its pre- and post-processing, on the faces MTCNN finds in IMAGE...")
        {
            images, rounds, models, minFaceSize, device,
        };
        command.SetAction((parseResult, cancellationToken) => BenchAsync(
            context,
            parseResult.GetRequiredValue(images),
            parseResult.GetValue(rounds),
            parseResult.GetValue(models),
            new MtcnnOptions { MinFaceSize = parseResult.GetValue(minFaceSize), Device = parseResult.GetRequiredValue(device) },
            cancellationToken));
        return command;
    }

    private static (Option<string?> Models, Option<int> MinFaceSize, Option<string> Device) DetectorOptions() =>
    (
        DetectCommand.ModelsOption(),
        new Option<int>("--min-face-size")
        {
            Description = "Smallest face searched for, in pixels (at least 12).",
            DefaultValueFactory = _ => new MtcnnOptions().MinFaceSize,
            HelpName = "N",
        },
        DetectCommand.DeviceOption()
    );

    private static async Task<int> RunAsync(
        CliContext context, string[] paths, string format, string? models, MtcnnOptions options, CancellationToken cancellationToken)
    {
        using var detector = DetectCommand.LoadDetector(models, options);
        using var landmarker = LoadLandmarker();
        return await ImageFaces.RunAsync(context, paths, format, image => Landmarks(detector, landmarker, image), Layout, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> BenchAsync(
        CliContext context, string[] paths, int rounds, string? models, MtcnnOptions options, CancellationToken cancellationToken)
    {
        if (rounds < 1)
        {
            throw new InvalidInputException($"--rounds must be at least 1, not {rounds}");
        }

        using var detector = DetectCommand.LoadDetector(models, options);
        using var landmarker = LoadLandmarker();
        var work = new List<(RgbImage Image, FaceBox[] Boxes)>();
        foreach (var path in paths)
        {
            RgbImage image;
            try
            {
                image = RgbImage.Decode(path);
            }
            catch (ImageDecodeException e)
            {
                throw new InvalidInputException(e.Message, e);
            }

            work.Add((image, [.. detector.Detect(image).Select(f => f.Box)]));
        }

        var faces = work.Sum(w => w.Boxes.Length);
        if (faces == 0)
        {
            throw new InvalidInputException("no face found in the images; nothing to time");
        }

        // One untimed pass warms TorchSharp's kernels; then each round is all faces of each image, one batch per image.
        void Pass()
        {
            foreach (var (image, boxes) in work.Where(w => w.Boxes.Length > 0))
            {
                _ = landmarker.Detect(image, boxes);
            }
        }

        Pass();
        var seconds = new List<double>(rounds);
        for (var r = 0; r < rounds; r++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            await Task.Run(Pass, cancellationToken).ConfigureAwait(false);
            seconds.Add(watch.Elapsed.TotalSeconds);
        }

        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"landmarks: {faces} faces in {work.Count} images x {rounds} rounds; median round {median:F4} s = {faces / median:F1} faces/s " +
            $"(crop, resize, network, mapping; {Environment.ProcessorCount} cores)")).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static FaceLandmarker LoadLandmarker()
    {
        try
        {
            return FaceLandmarker.LoadEmbedded();
        }
        catch (InvalidDataException e)
        {
            // The embedded weights do not match their checksums.
            throw new InvalidInputException(e.Message, e);
        }
    }

    /// <summary>One row per point (68 per face); in JSON the points as <c>[x, y]</c> pairs after the box.</summary>
    private static readonly FaceLayout<(FaceDetection Face, FaceLandmarks68 Landmarks)> Layout = new(
        ["face", "point", "x", "y"],
        (face, number) => face.Landmarks.Points.Select((p, i) => new[]
        {
            number.ToString(CultureInfo.InvariantCulture), i.ToString(CultureInfo.InvariantCulture), F(p.X), F(p.Y),
        }),
        face => face.Face,
        (json, face) =>
        {
            json.WriteStartArray("landmarks");
            foreach (var point in face.Landmarks.Points)
            {
                json.WriteStartArray();
                json.WriteNumberValue(point.X);
                json.WriteNumberValue(point.Y);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        });

    private static List<(FaceDetection Face, FaceLandmarks68 Landmarks)> Landmarks(Mtcnn detector, FaceLandmarker landmarker, RgbImage image)
    {
        var faces = detector.Detect(image);
        var landmarks = landmarker.Detect(image, [.. faces.Select(f => f.Box)]);
        return [.. faces.Zip(landmarks)];
    }

    private static string F(float value) => value.ToString("F2", CultureInfo.InvariantCulture);

}
