using System.Buffers.Binary;
using SkiaSharp;

namespace FaceCluster.Vision.Tests;

public sealed class DecodeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Png_decodes_to_the_pixels_pil_reads()
    {
        var image = RgbImage.Decode(RepositoryFiles.Astronaut);

        Assert.Equal((512, 512), (image.Width, image.Height));
        Assert.Equal(512 * 512 * 3, image.Pixels.Length);
        // Values from PIL: np.asarray(Image.open(path).convert("RGB")).
        Assert.Equal(new byte[] { 208, 205, 210 }, Pixel(image, 100, 200));
        Assert.Equal(new byte[] { 154, 147, 151 }, Pixel(image, 0, 0));
        Assert.Equal(new byte[] { 24, 4, 2 }, Pixel(image, 300, 511));
        Assert.Equal(90124324L, image.Span.ToArray().Sum(v => (long)v));
    }

    [Fact]
    public void Jpeg_decodes_close_to_what_pil_reads()
    {
        var image = RgbImage.Decode(RepositoryFiles.Multiface);

        Assert.Equal((1200, 630), (image.Width, image.Height));
        // PIL's channel means are 121.436, 111.844, 111.224; JPEG decoders may differ by rounding only.
        double[] pil = [121.43597751322751, 111.84428571428572, 111.22383465608466];
        for (var c = 0; c < 3; c++)
        {
            double sum = 0;
            for (var i = c; i < image.Pixels.Length; i += 3)
            {
                sum += image.Span[i];
            }

            Assert.InRange(sum / (1200 * 630) - pil[c], -0.5, 0.5);
        }
    }

    [Fact]
    public void Png_round_trip_and_bytes_in_memory_give_the_same_image()
    {
        var original = Synthetic(37, 23);
        var png = original.EncodePng();
        var path = _temp.File("x.png");
        File.WriteAllBytes(path, png);

        Assert.Equal(original.Span.ToArray(), RgbImage.Decode(png).Span.ToArray());
        Assert.Equal(original.Span.ToArray(), RgbImage.Decode(path).Span.ToArray());
    }

    [Fact]
    public void Bmp_webp_and_gif_are_decoded()
    {
        var original = Synthetic(9, 5);
        Assert.Equal(original.Span.ToArray(), RgbImage.Decode(Bmp(original)).Span.ToArray());

        var webp = EncodeWebp(original);
        var decoded = RgbImage.Decode(webp);
        Assert.Equal((9, 5), (decoded.Width, decoded.Height));

        // A 2 x 1 GIF: a red and a blue pixel.
        byte[] gif =
        [
            .. "GIF89a"u8, 2, 0, 1, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 255,
            0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0, 2, 2, 0x44, 0x0A, 0, 0x3B,
        ];
        var fromGif = RgbImage.Decode(gif);
        Assert.Equal(new byte[] { 255, 0, 0, 0, 0, 255 }, fromGif.Span.ToArray());
    }

    [Fact]
    public void Exif_orientation_is_applied()
    {
        // 64 x 32: left half red, right half blue. Orientation 6 shows it turned 90 degrees clockwise: 32 x 64 with
        // the stored left (red) on top.
        var pixels = new byte[64 * 32 * 3];
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                var i = ((y * 64) + x) * 3;
                pixels[i] = (byte)(x < 32 ? 255 : 0);
                pixels[i + 2] = (byte)(x < 32 ? 0 : 255);
            }
        }

        var jpeg = new RgbImage(64, 32, pixels).EncodeJpeg(95);
        var plain = RgbImage.Decode(jpeg);
        Assert.Equal((64, 32), (plain.Width, plain.Height));

        var rotated = RgbImage.Decode(WithExifOrientation(jpeg, 6));
        Assert.Equal((32, 64), (rotated.Width, rotated.Height));
        Assert.True(rotated[16, 8, 0] > 200 && rotated[16, 8, 2] < 60, "top is red");
        Assert.True(rotated[16, 56, 2] > 200 && rotated[16, 56, 0] < 60, "bottom is blue");

        var turnedBack = RgbImage.Decode(WithExifOrientation(jpeg, 8));
        Assert.True(turnedBack[16, 8, 2] > 200, "orientation 8: top is blue");
    }

    [Fact]
    public void A_missing_file_or_a_folder_is_unreadable()
    {
        var missing = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(_temp.File("nope.jpg")));
        Assert.Equal(ImageDecodeReason.Unreadable, missing.Reason);
        Assert.Equal("unreadable", missing.ReasonCode);
        Assert.Equal(_temp.File("nope.jpg"), missing.FilePath);
        Assert.Contains("nope.jpg", missing.Message, StringComparison.Ordinal);

        var folder = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(_temp.Path));
        Assert.Equal(ImageDecodeReason.Unreadable, folder.Reason);
    }

    [Fact]
    public void A_text_file_and_an_image_format_outside_the_list_are_unsupported()
    {
        var text = _temp.File("notes.jpg");
        File.WriteAllText(text, "participant notes, not an image\n");
        var error = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(text));
        Assert.Equal(ImageDecodeReason.Unsupported, error.Reason);

        // WBMP, which SkiaSharp reads, is not among the supported formats: 8 x 8, one bit per pixel.
        byte[] wbmp = [0, 0, 8, 8, 0xFF, 0, 0xFF, 0, 0xFF, 0, 0xFF, 0];
        var wireless = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(wbmp));
        Assert.Equal(ImageDecodeReason.Unsupported, wireless.Reason);
        Assert.Contains("WBMP", wireless.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_jpeg_and_png_are_corrupt()
    {
        var jpeg = File.ReadAllBytes(RepositoryFiles.Multiface);
        var cut = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(jpeg.AsSpan(0, jpeg.Length * 6 / 10)));
        Assert.Equal(ImageDecodeReason.Corrupt, cut.Reason);
        Assert.Contains("truncated", cut.Message, StringComparison.Ordinal);

        var png = File.ReadAllBytes(RepositoryFiles.Astronaut);
        var cutPng = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(png.AsSpan(0, png.Length / 2)));
        Assert.Equal(ImageDecodeReason.Corrupt, cutPng.Reason);

        // Cut inside the header: still a damaged image, not an unsupported file.
        var header = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(png.AsSpan(0, 20)));
        Assert.Equal(ImageDecodeReason.Corrupt, header.Reason);
    }

    [Fact]
    public void Damaged_jpeg_and_png_bytes_and_an_empty_file_are_corrupt()
    {
        var jpeg = File.ReadAllBytes(RepositoryFiles.Multiface);
        Array.Fill(jpeg, (byte)0x5A, 2, 400);
        Assert.Equal(ImageDecodeReason.Corrupt, Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(jpeg)).Reason);

        var png = Synthetic(40, 40).EncodePng();
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        Array.Fill(png, (byte)0xA5, idat + 8, 30);
        Assert.Equal(ImageDecodeReason.Corrupt, Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(png)).Reason);

        var empty = _temp.File("empty.png");
        File.WriteAllBytes(empty, []);
        Assert.Equal(ImageDecodeReason.Corrupt, Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(empty)).Reason);
    }

    [Fact]
    public void A_header_over_the_pixel_limit_is_refused_before_decoding()
    {
        // A PNG header of 10,000 x 10,000 (100 megapixels) followed by a few bytes of pixel data: decoding would fail
        // as truncated, so too_large shows the header was checked first.
        var huge = PngHeaderOnly(10_000, 10_000);
        var error = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(huge));
        Assert.Equal(ImageDecodeReason.TooLarge, error.Reason);
        Assert.Equal("too_large", error.ReasonCode);
        Assert.Contains("10000 x 10000", error.Message, StringComparison.Ordinal);

        // Within a raised limit the same bytes are merely truncated.
        Assert.Equal(ImageDecodeReason.Corrupt, Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(huge, maxPixels: 200_000_000)).Reason);

        // A configurable limit applies to real images too.
        Assert.Equal(ImageDecodeReason.TooLarge, Assert.Throws<ImageDecodeException>(() => RgbImage.Decode(RepositoryFiles.Astronaut, maxPixels: 512 * 511)).Reason);
        Assert.Equal(512, RgbImage.Decode(RepositoryFiles.Astronaut, maxPixels: 512 * 512).Width);
    }

    [Fact]
    public void The_constructor_checks_the_buffer()
    {
        Assert.Throws<ArgumentException>(() => new RgbImage(2, 2, new byte[11]));
        Assert.Throws<ArgumentException>(() => new RgbImage(0, 2, []));
    }

    internal static RgbImage Synthetic(int width, int height)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    pixels[(((y * width) + x) * 3) + c] = (byte)(((x * x * 3) + (y * 7) + (c * 40) + (x * y)) % 256);
                }
            }
        }

        return new RgbImage(width, height, pixels);
    }

    /// <summary>WebP through SkiaSharp (RgbImage encodes only PNG and JPEG): decode the PNG, re-encode.</summary>
    private static byte[] EncodeWebp(RgbImage image)
    {
        using var bitmap = SKBitmap.Decode(image.EncodePng());
        using var data = bitmap.Encode(SKEncodedImageFormat.Webp, 100);
        return data.ToArray();
    }

    private static byte[] Pixel(RgbImage image, int x, int y) => [image[x, y, 0], image[x, y, 1], image[x, y, 2]];

    /// <summary>A 24-bit bottom-up BMP.</summary>
    private static byte[] Bmp(RgbImage image)
    {
        var rowBytes = ((image.Width * 3) + 3) & ~3;
        var bytes = new byte[54 + (rowBytes * image.Height)];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), image.Width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), image.Height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        for (var y = 0; y < image.Height; y++)
        {
            var row = 54 + ((image.Height - 1 - y) * rowBytes);
            for (var x = 0; x < image.Width; x++)
            {
                bytes[row + (3 * x)] = image[x, y, 2];
                bytes[row + (3 * x) + 1] = image[x, y, 1];
                bytes[row + (3 * x) + 2] = image[x, y, 0];
            }
        }

        return bytes;
    }

    /// <summary>Inserts an EXIF APP1 segment with the orientation tag right after the JPEG's SOI marker.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] app1 =
        [
            0xFF, 0xE1, 0, 34, .. "Exif"u8, 0, 0,
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,
            0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,
        ];
        return [.. jpeg.AsSpan(0, 2), .. app1, .. jpeg.AsSpan(2)];
    }

    /// <summary>A PNG signature, an IHDR of the given size (8-bit RGB), the start of an IDAT, and no more.</summary>
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        byte[] idat = [0x78, 0x9C, 0x62, 0x00, 0x00];
        return [0x89, .. "PNG\r\n"u8, 0x1A, (byte)'\n', .. Chunk("IHDR", ihdr), .. Chunk("IDAT", idat)];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
