using System.Globalization;
using System.Security.Cryptography;

namespace FaceCluster.Vision;

/// <summary>
/// Where MTCNN's weights come from: a folder when one is named, else facenet-pytorch's weights embedded in this
/// assembly (built from <c>src/FaceCluster.Vision/Weights/</c>, with their licence and <c>SHA256SUMS</c>).
/// </summary>
/// <remarks>
/// The order is: the folder the caller names (a <c>--models DIR</c> option, a silo setting), else the folder in
/// <see cref="DirectoryVariable"/>, else the embedded weights. The embedded weights are checked against the embedded
/// <c>SHA256SUMS</c> once per process, the first time they are used.
/// </remarks>
public static class MtcnnModels
{
    /// <summary>Environment variable naming the folder that holds <c>pnet.pt</c>, <c>rnet.pt</c> and <c>onet.pt</c>.</summary>
    public const string DirectoryVariable = "FACECLUSTER_MTCNN_MODELS";

    /// <summary>How the embedded weights are named in messages.</summary>
    private const string EmbeddedDescription = "the MTCNN weights built into FaceCluster.Vision";

    /// <summary>The name of the checksum file beside the weights (embedded, and in <c>Weights/</c> of the source).</summary>
    public const string ChecksumFile = "SHA256SUMS";

    /// <summary>The name of facenet-pytorch's licence beside the weights (embedded, and in <c>Weights/</c> of the source).</summary>
    public const string LicenseFile = "LICENSE-facenet-pytorch.md";

    private const string ResourcePrefix = "FaceCluster.Vision.Weights.";

    private static readonly Lazy<bool> EmbeddedVerified = new(VerifyEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The weights folder to read: <paramref name="named"/> when it is not empty, else <see cref="DirectoryVariable"/>
    /// when set, both as full paths; <see langword="null"/> means the embedded weights.
    /// </summary>
    public static string? ResolveDirectory(string? named)
    {
        if (!string.IsNullOrWhiteSpace(named))
        {
            return Path.GetFullPath(named);
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(DirectoryVariable);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? null : Path.GetFullPath(fromEnvironment);
    }

    /// <summary>
    /// Opens one of the embedded files (<c>pnet.pt</c>, <c>rnet.pt</c>, <c>onet.pt</c>, <see cref="ChecksumFile"/>,
    /// <see cref="LicenseFile"/>) as a read-only, seekable stream. The weights are checked against
    /// <see cref="ChecksumFile"/> first (once per process).
    /// </summary>
    /// <exception cref="ArgumentException">No such embedded file.</exception>
    /// <exception cref="InvalidDataException">The embedded weights do not match their checksums (a damaged build).</exception>
    public static Stream OpenEmbedded(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (Mtcnn.WeightFiles.Contains(fileName, StringComparer.Ordinal))
        {
            _ = EmbeddedVerified.Value;
        }

        return OpenResource(fileName);
    }

    /// <summary>Checks the embedded weights against the embedded <see cref="ChecksumFile"/> now (it is also done on first use).</summary>
    /// <exception cref="InvalidDataException">A weight file is missing from the checksums or does not match them.</exception>
    public static void VerifyEmbeddedWeights() => _ = EmbeddedVerified.Value;

    /// <summary>
    /// The SHA-256 sums of <paramref name="checksums"/> (the <c>sha256sum</c> format: a hex digest, two spaces or a space
    /// and a star, a file name), keyed by file name.
    /// </summary>
    /// <exception cref="InvalidDataException">A line that is not in that format.</exception>
    internal static Dictionary<string, string> ParseChecksums(string checksums, string source)
    {
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in checksums.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var digest = space == 64 ? line[..64] : string.Empty;
            var name = space == 64 && line.Length > 66 ? line[66..] : string.Empty;
            if (name.Length == 0 || !digest.All(char.IsAsciiHexDigit) || line[65] is not (' ' or '*'))
            {
                throw new InvalidDataException($"{source}: '{line}' is not a sha256sum line (64 hex digits, two spaces, a file name)");
            }

            sums[name] = digest.ToLowerInvariant();
        }

        return sums;
    }

    /// <summary>
    /// Checks the three weight files, opened by <paramref name="open"/>, against <paramref name="checksums"/> (the text
    /// of a <c>SHA256SUMS</c> file); <paramref name="source"/> names them in the one error that lists every problem.
    /// </summary>
    /// <exception cref="InvalidDataException">A weight file is missing from the checksums or does not match them.</exception>
    internal static void VerifyWeights(string checksums, Func<string, Stream> open, string source)
    {
        var expected = ParseChecksums(checksums, $"{ChecksumFile} of {source}");
        var problems = new List<string>();
        foreach (var name in Mtcnn.WeightFiles)
        {
            using var stream = open(name);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!expected.TryGetValue(name, out var digest))
            {
                problems.Add($"{name} has no line in {ChecksumFile}");
            }
            else if (actual != digest)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} ({stream.Length} bytes) has sha256 {actual}, {ChecksumFile} says {digest}"));
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException(
                $"{source} are damaged: {string.Join("; ", problems)}. Rebuild FaceCluster.Vision from src/FaceCluster.Vision/Weights, " +
                $"or name a folder of pnet.pt, rnet.pt and onet.pt with --models or {DirectoryVariable}.");
        }
    }

    private static bool VerifyEmbedded()
    {
        using var reader = new StreamReader(OpenResource(ChecksumFile));
        VerifyWeights(reader.ReadToEnd(), OpenResource, EmbeddedDescription);
        return true;
    }

    private static Stream OpenResource(string fileName) =>
        typeof(MtcnnModels).Assembly.GetManifestResourceStream(ResourcePrefix + fileName)
        ?? throw new ArgumentException($"{fileName} is not one of the files embedded with MTCNN's weights", nameof(fileName));
}
