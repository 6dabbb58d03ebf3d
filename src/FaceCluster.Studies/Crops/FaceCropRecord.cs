namespace FaceCluster.Studies.Crops;

/// <summary>What cropping made of one image (the <c>status</c> column of a crop shard).</summary>
public static class CropStatus
{
    /// <summary>MTCNN found a face; the crop is of the kept face.</summary>
    public const string Ok = "ok";

    /// <summary>MTCNN found no face; the crop is of the images table's face box (only when asked for).</summary>
    public const string FallbackBox = "fallback_box";

    /// <summary>MTCNN found no face; no crop.</summary>
    public const string NoFace = "no_face";

    /// <summary>The file is missing or cannot be read.</summary>
    public const string Unreadable = "unreadable";

    /// <summary>The file is an image of a known format that does not decode (truncated, damaged).</summary>
    public const string Corrupt = "corrupt";

    /// <summary>The file is not an image in a supported format.</summary>
    public const string Unsupported = "unsupported";

    /// <summary>The image has more pixels than the configured limit.</summary>
    public const string TooLarge = "too_large";

    /// <summary>Whether a record with <paramref name="status"/> carries pixels.</summary>
    public static bool HasCrop(string status) => status is Ok or FallbackBox;
}

/// <summary>
/// One image's row in a crop shard: the 160 x 160 RGB face (bytes, before normalisation), where it was in the image,
/// and how sure the detector was; or the reason there is no crop.
/// </summary>
/// <param name="ImageId">The image (images table <c>image_id</c>).</param>
/// <param name="Kind"><c>seed</c> or <c>mimic</c>.</param>
/// <param name="SeedId">The seed the image is or imitates.</param>
/// <param name="Status">One of <see cref="CropStatus"/>.</param>
/// <param name="Reason">Why there is no crop, or which fallback was taken; null for <see cref="CropStatus.Ok"/>.</param>
/// <param name="ImageWidth">Width of the decoded image in pixels (0 when it did not decode).</param>
/// <param name="ImageHeight">Height of the decoded image in pixels (0 when it did not decode).</param>
/// <param name="FacesFound">How many faces MTCNN found.</param>
/// <param name="Box">The kept face's box <c>(x1, y1, x2, y2)</c> in image pixels, or null.</param>
/// <param name="Probability">The kept face's probability, or null (no face, fallback box).</param>
/// <param name="Landmarks">Five landmarks <c>x1, y1, ..., x5, y5</c> (eyes, nose, mouth corners), or null.</param>
/// <param name="Pixels">The crop, <c>size x size x 3</c> bytes in HWC RGB order, or null.</param>
/// <param name="Landmarks68">
/// The kept face's 68 landmarks <c>x1, y1, ..., x68, y68</c> in image pixels (iBUG 300-W order, face-api.js's net in the
/// MTCNN box), or null: not asked for (the shard has no such columns), or no detected face.
/// </param>
public sealed record FaceCropRecord(
    string ImageId,
    string Kind,
    string SeedId,
    string Status,
    string? Reason,
    int ImageWidth,
    int ImageHeight,
    int FacesFound,
    CropBox? Box,
    float? Probability,
    float[]? Landmarks,
    byte[]? Pixels,
    float[]? Landmarks68 = null)
{
    /// <summary>Values in <see cref="Landmarks68"/>: 68 points, x then y.</summary>
    public const int Landmark68Values = 136;
}

/// <summary>A face box in image pixels.</summary>
/// <param name="X1">Left.</param>
/// <param name="Y1">Top.</param>
/// <param name="X2">Right.</param>
/// <param name="Y2">Bottom.</param>
public readonly record struct CropBox(float X1, float Y1, float X2, float Y2);
