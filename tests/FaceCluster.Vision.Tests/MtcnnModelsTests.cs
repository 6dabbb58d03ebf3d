using System.Security.Cryptography;

namespace FaceCluster.Vision.Tests;

/// <summary>
/// Where MTCNN's weights come from: the copy embedded in FaceCluster.Vision (the same bytes as the checkout's
/// <c>src/FaceCluster.Vision/Weights</c>, checked against SHA256SUMS), unless a folder is named.
/// </summary>
public sealed class MtcnnModelsTests
{
    private static readonly string[] EmbeddedFiles = ["pnet.pt", "rnet.pt", "onet.pt", MtcnnModels.ChecksumFile, MtcnnModels.LicenseFile];

    [Fact]
    public void The_embedded_files_are_the_checkouts_weights_licence_and_checksums()
    {
        foreach (var name in EmbeddedFiles)
        {
            using var stream = MtcnnModels.OpenEmbedded(name);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.True(File.ReadAllBytes(Path.Combine(RepositoryFiles.Models, name)).AsSpan().SequenceEqual(copy.ToArray()), name);
        }

        Assert.Throws<ArgumentException>(() => MtcnnModels.OpenEmbedded("weights.pt"));
    }

    [Fact]
    public void The_weights_match_their_checksums()
    {
        MtcnnModels.VerifyEmbeddedWeights();
        var sums = MtcnnModels.ParseChecksums(File.ReadAllText(Path.Combine(RepositoryFiles.Models, MtcnnModels.ChecksumFile)), "test");
        Assert.Equal(["onet.pt", "pnet.pt", "rnet.pt"], sums.Keys.Order(StringComparer.Ordinal));
        foreach (var name in Mtcnn.WeightFiles)
        {
            Assert.Equal(sums[name], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(RepositoryFiles.Models, name)))));
        }
    }

    [Fact]
    public void Damaged_weights_are_one_error_naming_every_mismatch()
    {
        var checksums = File.ReadAllText(Path.Combine(RepositoryFiles.Models, MtcnnModels.ChecksumFile));
        Stream Open(string name)
        {
            var bytes = File.ReadAllBytes(Path.Combine(RepositoryFiles.Models, name));
            if (name == "rnet.pt")
            {
                bytes[^1] ^= 1;
            }

            return new MemoryStream(bytes, writable: false);
        }

        var error = Assert.Throws<InvalidDataException>(() => MtcnnModels.VerifyWeights(checksums, Open, "the test's weights"));
        Assert.StartsWith("the test's weights are damaged: rnet.pt (403147 bytes) has sha256 ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pnet.pt (", error.Message, StringComparison.Ordinal);
        Assert.Contains(MtcnnModels.DirectoryVariable, error.Message, StringComparison.Ordinal);

        var withoutOnet = string.Join('\n', checksums.Split('\n').Where(l => !l.EndsWith("onet.pt", StringComparison.Ordinal)));
        var missing = Assert.Throws<InvalidDataException>(() => MtcnnModels.VerifyWeights(withoutOnet, Open, "the test's weights"));
        Assert.Contains("says " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(RepositoryFiles.Models, "rnet.pt")))) + "; onet.pt has no line in SHA256SUMS. Rebuild", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a2a71925  pnet.pt")]
    [InlineData("a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f pnet.pt")]
    [InlineData("a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f  ")]
    [InlineData("g2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f  pnet.pt")]
    public void Checksum_lines_are_the_sha256sum_format(string line)
    {
        var error = Assert.Throws<InvalidDataException>(() => MtcnnModels.ParseChecksums(line, "SUMS"));
        Assert.Contains("not a sha256sum line", error.Message, StringComparison.Ordinal);
        Assert.Equal("pnet.pt", Assert.Single(MtcnnModels.ParseChecksums(
            "A2A71925E0B9996A42F63E47EFC1CA19043E69558B5C523B978D611DFAE49C8F *pnet.pt\r\n", "SUMS")).Key);
    }

    [Fact]
    public void A_named_folder_comes_first_then_the_environment_variable_then_the_embedded_weights()
    {
        var before = Environment.GetEnvironmentVariable(MtcnnModels.DirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(MtcnnModels.DirectoryVariable, null);
            Assert.Null(MtcnnModels.ResolveDirectory(null));
            Assert.Null(MtcnnModels.ResolveDirectory(" "));
            Assert.Equal(RepositoryFiles.Models, MtcnnModels.ResolveDirectory(RepositoryFiles.Models));

            Environment.SetEnvironmentVariable(MtcnnModels.DirectoryVariable, "/nonexistent/mtcnn");
            Assert.Equal("/nonexistent/mtcnn", MtcnnModels.ResolveDirectory(null));
            Assert.Equal(RepositoryFiles.Models, MtcnnModels.ResolveDirectory(RepositoryFiles.Models));
            var error = Assert.Throws<FileNotFoundException>(() => Mtcnn.LoadDefault(null));
            Assert.Contains("/nonexistent/mtcnn/pnet.pt", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MtcnnModels.DirectoryVariable, before);
        }
    }

    [Fact]
    public void Embedded_and_folder_weights_find_the_same_faces()
    {
        Assert.Null(Environment.GetEnvironmentVariable(MtcnnModels.DirectoryVariable));
        var options = new MtcnnOptions { Device = "cpu" };
        using var embedded = Mtcnn.LoadDefault(null, options);
        using var folder = Mtcnn.Load(RepositoryFiles.Models, options);
        var image = RgbImage.Decode(RepositoryFiles.Multiface);

        var expected = folder.Detect(image);
        var actual = embedded.Detect(image);

        Assert.Equal(6, expected.Count);
        Assert.Equal(expected.Select(f => (f.Box, f.Probability)), actual.Select(f => (f.Box, f.Probability)));
    }
}
