using System.Globalization;

namespace FaceCluster.Vision;

/// <summary>Which face of an image <see cref="Mtcnn.SelectFace(IReadOnlyList{FaceDetection})"/> keeps when it finds several.</summary>
public enum FaceSelection
{
    /// <summary><c>probable</c>: the face with the highest probability (the default).</summary>
    Probable,

    /// <summary><c>largest</c>: the face with the largest box area (facenet-pytorch's <c>select_largest</c>).</summary>
    Largest,
}

/// <summary>The settings of <see cref="Mtcnn"/>; the defaults are facenet-pytorch's.</summary>
public sealed record MtcnnOptions
{
    /// <summary>The default thresholds of PNet, RNet and ONet.</summary>
    public static readonly IReadOnlyList<float> DefaultThresholds = [0.6f, 0.7f, 0.7f];

    /// <summary>The smallest face searched for, in pixels: the pyramid starts at scale <c>12 / MinFaceSize</c>. At least 12.</summary>
    public int MinFaceSize { get; init; } = 20;

    /// <summary>Face-probability thresholds of PNet, RNet and ONet, each in [0, 1].</summary>
    public IReadOnlyList<float> Thresholds { get; init; } = DefaultThresholds;

    /// <summary>The ratio between successive pyramid scales, in (0, 1); 0.709 halves the area per level.</summary>
    public double ScaleFactor { get; init; } = 0.709;

    /// <summary>Where the networks run: <c>auto</c> (CUDA when available), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Which face <see cref="Mtcnn.SelectFace(IReadOnlyList{FaceDetection})"/> keeps.</summary>
    public FaceSelection Selection { get; init; } = FaceSelection.Probable;

    /// <summary>The most face candidates RNet or ONet sees in one forward pass (facenet-pytorch uses 512); at least 1.</summary>
    public int MaxNetworkBatch { get; init; } = 512;

    /// <summary>The problems with these options, one sentence each saying what is wrong and why; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinFaceSize > 10_000)
        {
            errors.Add($"the minimum face size must be at most 10000 pixels (got {MinFaceSize})");
        }
        else if (MinFaceSize < 12)
        {
            errors.Add($"the minimum face size must be at least 12 pixels, PNet's window (got {MinFaceSize}); smaller faces would need the image enlarged");
        }

        if (Thresholds is null || Thresholds.Count != 3)
        {
            errors.Add($"thresholds must be three values, for PNet, RNet and ONet (got {Thresholds?.Count ?? 0})");
        }
        else if (Thresholds.Any(t => !(t >= 0 && t <= 1)))
        {
            errors.Add($"thresholds are face probabilities and must lie in [0, 1] (got {string.Join(", ", Thresholds.Select(t => t.ToString(CultureInfo.InvariantCulture)))})");
        }

        if (!(ScaleFactor > 0 && ScaleFactor < 1))
        {
            errors.Add($"the scale factor must lie strictly between 0 and 1 so that the pyramid shrinks (got {ScaleFactor.ToString(CultureInfo.InvariantCulture)})");
        }
        else if (ScaleFactor > 0.95)
        {
            errors.Add($"a scale factor above 0.95 makes a pyramid of hundreds of levels (got {ScaleFactor.ToString(CultureInfo.InvariantCulture)}); facenet-pytorch uses 0.709");
        }

        var device = Device?.Trim().ToLowerInvariant();
        if (device is not ("auto" or "cpu" or "cuda") && !(device?.StartsWith("cuda:", StringComparison.Ordinal) == true && int.TryParse(device.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            errors.Add($"the device must be auto, cpu, cuda or cuda:N (got '{Device}')");
        }

        if (!Enum.IsDefined(Selection))
        {
            errors.Add($"the selection must be probable or largest (got {Selection})");
        }

        if (MaxNetworkBatch is < 1 or > 65_536)
        {
            errors.Add($"the network batch must be 1 to 65536 (got {MaxNetworkBatch})");
        }

        return errors;
    }

    /// <summary>Throws when <see cref="Validate"/> finds problems.</summary>
    /// <exception cref="ArgumentException">The problems, joined into one message.</exception>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid MTCNN options: " + string.Join("; ", errors));
        }
    }
}

/// <summary>Text forms of <see cref="FaceSelection"/>.</summary>
public static class FaceSelections
{
    /// <summary><c>probable</c> or <c>largest</c>.</summary>
    public static string ToCode(this FaceSelection selection) => selection == FaceSelection.Largest ? "largest" : "probable";

    /// <summary>Parses <c>probable</c> or <c>largest</c> (any case).</summary>
    /// <exception cref="ArgumentException">Any other text.</exception>
    public static FaceSelection Parse(string text) => text?.Trim().ToLowerInvariant() switch
    {
        "probable" => FaceSelection.Probable,
        "largest" => FaceSelection.Largest,
        _ => throw new ArgumentException($"face selection '{text}': expected probable or largest", nameof(text)),
    };
}
