using System.Security.Cryptography;

namespace FaceCluster.Vision.Tests;

public sealed class CropTests
{
    [Theory]
    // Image size, crop box, output size, then Pillow 9.4's result for Image.fromarray(a).crop(box).resize((s, s),
    // Image.BILINEAR) on the pattern of DecodeTests.Synthetic: byte sum, SHA-256, pixel (0, 0), pixel (s/3, s/2).
    [InlineData(400, 300, 37, 41, 237, 260, 160, 9810963, "12249f603dfeb2ac2f05ad62a178821bbd7402e0dd6370a269325248816f58e0", new[] { 40, 80, 120 }, new[] { 114, 154, 96 })]
    [InlineData(97, 83, 10, 5, 90, 80, 160, 9837754, "c15f26b76fe441aad56269f980e657a40058a403b0cb377514b115c73977d6eb", new[] { 129, 169, 209 }, new[] { 73, 113, 153 })]
    [InlineData(400, 300, 0, 0, 400, 300, 37, 525581, "cf7a1164cbea43f95e4041c19163d7c1b2eeb9127a4a82af7e489b633b9196d9", new[] { 108, 125, 137 }, new[] { 128, 127, 129 })]
    [InlineData(200, 200, 20, 30, 180, 190, 160, 9817600, "3adb05452f114c3c10007e4f44af7723b7245243045ca08496190ce9f8ff6686", new[] { 218, 2, 42 }, new[] { 211, 251, 35 })]
    [InlineData(64, 48, 3, 4, 60, 5, 160, 10276320, "a2a7bc5ce30dda4fd1acdfac13ce66c0bdfec69a09774f581f17f830c6c7b88f", new[] { 67, 107, 147 }, new[] { 86, 126, 166 })]
    public void Resizing_matches_pillow_bilinear_byte_for_byte(
        int width, int height, int x1, int y1, int x2, int y2, int size, long sum, string sha256, int[] first, int[] middle)
    {
        var image = DecodeTests.Synthetic(width, height);
        var crop = FaceCrop.Extract(image, new FaceBox(x1, y1, x2, y2), size);

        Assert.Equal((size, size), (crop.Width, crop.Height));
        Assert.Equal(first, new[] { (int)crop[0, 0, 0], crop[0, 0, 1], crop[0, 0, 2] });
        Assert.Equal(middle, new[] { (int)crop[size / 3, size / 2, 0], crop[size / 3, size / 2, 1], crop[size / 3, size / 2, 2] });
        Assert.Equal(sum, crop.Span.ToArray().Sum(v => (long)v));
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(crop.Span)));
    }

    [Theory]
    // Pillow 9.4: Image.fromarray(a).resize((w, h), Image.BILINEAR) of the 400 x 300 pattern.
    [InlineData(160, 120, "9e8e9f803ec58c2b1ca77390dffce367678a202738629ecc2f3ab2fa2ae974ce")]
    [InlineData(640, 480, "d32268133035b4e27f0130902a4ab3438ce14a8ccebc3a4704621a890bf2d30c")]
    [InlineData(400, 120, "73789386390de96d450e90273cc175c09df601093f358c984fd71ecc0689bc27")]
    public void Whole_image_resizing_matches_pillow(int width, int height, string sha256)
    {
        var resized = DecodeTests.Synthetic(400, 300).Resize(width, height);

        Assert.Equal((width, height), (resized.Width, resized.Height));
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(resized.Span)));
    }

    [Fact]
    public void Cropping_copies_the_region_and_refuses_one_outside_the_image()
    {
        var image = DecodeTests.Synthetic(30, 20);
        var crop = image.Crop(new CropRegion(4, 3, 12, 20));

        Assert.Equal((8, 17), (crop.Width, crop.Height));
        Assert.Equal(image[4, 3, 0], crop[0, 0, 0]);
        Assert.Equal(image[11, 19, 2], crop[7, 16, 2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Crop(new CropRegion(4, 3, 31, 20)));
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Crop(new CropRegion(4, 3, 4, 20)));
    }

    [Fact]
    public void Margin_is_scaled_to_the_box_and_split_on_both_sides()
    {
        // A 100 x 60 box with margin 32 in a 160 crop: 32 * 100 / 128 = 25 px across, 32 * 60 / 128 = 15 px down.
        var region = FaceCrop.Region(new FaceBox(200, 100, 300, 160), 1000, 1000, 160, 32);
        Assert.Equal(new CropRegion(187, 92, 312, 167), region);

        // Without margin the box is truncated to whole pixels.
        Assert.Equal(new CropRegion(10, 20, 50, 61), FaceCrop.Region(new FaceBox(10.9f, 20.5f, 50.7f, 61.99f), 100, 100));
    }

    [Fact]
    public void The_region_is_clamped_to_the_image()
    {
        Assert.Equal(new CropRegion(0, 0, 64, 48), FaceCrop.Region(new FaceBox(-20, -5.5f, 90, 70), 64, 48));
        Assert.Equal(new CropRegion(40, 0, 64, 35), FaceCrop.Region(new FaceBox(50, -10, 70, 20), 64, 48, 160, 80));

        // Wholly outside: one pixel at the nearest edge rather than an empty crop.
        Assert.Equal(new CropRegion(63, 47, 64, 48), FaceCrop.Region(new FaceBox(100, 100, 120, 130), 64, 48));

        var image = DecodeTests.Synthetic(64, 48);
        var crop = FaceCrop.Extract(image, new FaceBox(-20, -5.5f, 90, 70), 16);
        Assert.Equal((16, 16), (crop.Width, crop.Height));
    }

    [Fact]
    public void A_crop_of_the_output_size_is_the_pixels_themselves()
    {
        var image = DecodeTests.Synthetic(30, 20);
        var crop = FaceCrop.Extract(image, new FaceDetection(new FaceBox(5, 4, 15, 14), 0.99f, []), 10);
        for (var y = 0; y < 10; y++)
        {
            for (var x = 0; x < 10; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(image[x + 5, y + 4, c], crop[x, y, c]);
                }
            }
        }
    }

    [Fact]
    public void Bad_sizes_and_margins_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceCrop.Region(new FaceBox(0, 0, 5, 5), 10, 10, 160, 160));
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceCrop.Region(new FaceBox(0, 0, 5, 5), 10, 10, 160, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => FaceCrop.Region(new FaceBox(0, 0, 5, 5), 10, 10, 0));
    }

    [Fact]
    public void Prewhitening_matches_a_hand_computation()
    {
        // Two pixels, HWC: (10, 20, 30), (40, 50, 60). Mean 35; squared deviations 625, 225, 25, 25, 225, 625 sum to
        // 1750; unbiased variance 1750 / 5 = 350; std = sqrt(350) = 18.708287.
        byte[] hwc = [10, 20, 30, 40, 50, 60];
        var std = Math.Sqrt(350);
        var expected = new[] { 10, 40, 20, 50, 30, 60 }.Select(v => (float)((v - 35) / std)).ToArray();

        var chw = FaceNormalization.Prewhiten(hwc);

        Assert.Equal(6, chw.Length);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], chw[i], 6);
        }

        Assert.Equal(-1.336306f, chw[0], 5);
    }

    [Fact]
    public void Prewhitening_a_flat_crop_divides_by_one_over_root_n()
    {
        // std 0 is clamped to 1 / sqrt(N): a constant image maps to zeros, a near-constant one is not blown up.
        var flat = Enumerable.Repeat((byte)77, 160 * 160 * 3).ToArray();
        Assert.All(FaceNormalization.Prewhiten(flat), v => Assert.Equal(0f, v));

        var almost = (byte[])flat.Clone();
        almost[0] = 78;
        var n = almost.Length;
        var mean = (77.0 * (n - 1) + 78) / n;
        var std = Math.Sqrt(((n - 1) * Math.Pow(77 - mean, 2) + Math.Pow(78 - mean, 2)) / (n - 1));
        Assert.True(std < 1 / Math.Sqrt(n) * 10);
        var result = FaceNormalization.Prewhiten(almost);
        Assert.Equal((float)((78 - mean) / Math.Max(std, 1 / Math.Sqrt(n))), result[0], 4);
    }

    [Fact]
    public void Prewhitened_crop_has_zero_mean_and_unit_sample_deviation()
    {
        var crop = FaceCrop.Extract(DecodeTests.Synthetic(300, 200), new FaceBox(50, 20, 200, 190));
        var values = FaceNormalization.Prewhiten(crop.Span);

        Assert.Equal(3 * 160 * 160, values.Length);
        var mean = values.Average(v => (double)v);
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        Assert.InRange(mean, -1e-5, 1e-5);
        Assert.InRange(variance, 1 - 1e-4, 1 + 1e-4);

        // CHW: planes R, G, B; pixel (0, 0) is the first value of each.
        var bytes = crop.Span.ToArray();
        var byteMean = bytes.Average(v => (double)v);
        var byteStd = Math.Sqrt(bytes.Sum(v => (v - byteMean) * (v - byteMean)) / (bytes.Length - 1));
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal((float)((crop[0, 0, c] - byteMean) / byteStd), values[c * 160 * 160], 5);
        }
    }

    [Fact]
    public void Fixed_standardization_is_x_minus_127_5_over_128_in_chw_order()
    {
        byte[] hwc = [0, 255, 128, 64, 127, 200];
        Assert.Equal([-127.5f / 128, -63.5f / 128, 127.5f / 128, -0.5f / 128, 0.5f / 128, 72.5f / 128], FaceNormalization.FixedStandardization(hwc));
        Assert.Throws<ArgumentException>(() => FaceNormalization.FixedStandardization(new byte[7]));
    }
}
