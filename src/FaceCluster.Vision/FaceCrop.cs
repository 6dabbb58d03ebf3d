namespace FaceCluster.Vision;

/// <summary>A region of an image in whole pixels: columns <see cref="X1"/> to <see cref="X2"/> and rows <see cref="Y1"/> to <see cref="Y2"/>, ends exclusive.</summary>
/// <param name="X1">First column.</param>
/// <param name="Y1">First row.</param>
/// <param name="X2">One past the last column.</param>
/// <param name="Y2">One past the last row.</param>
public readonly record struct CropRegion(int X1, int Y1, int X2, int Y2)
{
    /// <summary>Columns.</summary>
    public int Width => X2 - X1;

    /// <summary>Rows.</summary>
    public int Height => Y2 - Y1;
}

/// <summary>
/// Face crops as facenet-pytorch's <c>extract_face</c> makes them from a PIL image: the box widened by a margin,
/// clamped to the image, cut out and resized to a square with PIL's bilinear filter.
/// </summary>
public static class FaceCrop
{
    /// <summary>The side of facenet-pytorch's crops (and of InceptionResnetV1's input).</summary>
    public const int DefaultSize = 160;

    // Pillow's fixed-point precision for 8-bit images (Resample.c): 32 bits less 8 for the value and 2 for headroom.
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Crops <paramref name="face"/>'s box; see <see cref="Extract(RgbImage, FaceBox, int, int)"/>.</summary>
    public static RgbImage Extract(RgbImage image, FaceDetection face, int size = DefaultSize, int margin = 0)
    {
        ArgumentNullException.ThrowIfNull(face);
        return Extract(image, face.Box, size, margin);
    }

    /// <summary>
    /// The <paramref name="size"/> x <paramref name="size"/> crop of <paramref name="box"/> from <paramref name="image"/>
    /// (HWC RGB bytes): the region is <see cref="Region"/>, resized exactly as Pillow's <c>Image.resize(...,
    /// BILINEAR)</c> does (a triangle filter widened by the reduction factor when shrinking, so every source pixel counts;
    /// 22-bit fixed-point weights; horizontal pass, rounding to bytes, then vertical pass), which is what
    /// facenet-pytorch does with a PIL image. A region already of the size is copied unchanged.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="box">The face's box (MTCNN's, which may reach beyond the image).</param>
    /// <param name="size">The side of the square output, at least 1.</param>
    /// <param name="margin">Margin in pixels of the output, added around the face (facenet-pytorch's <c>margin</c>); 0 to size - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or a margin outside [0, size).</exception>
    public static RgbImage Extract(RgbImage image, FaceBox box, int size = DefaultSize, int margin = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        var region = Region(box, image.Width, image.Height, size, margin);
        return Resize(image, region, size, size);
    }

    /// <summary>
    /// The pixels <see cref="Extract(RgbImage, FaceBox, int, int)"/> takes, as facenet-pytorch's <c>extract_face</c>:
    /// the margin in image pixels is <c>margin * (x2 - x1) / (size - margin)</c> across (and likewise down), half on each
    /// side; the widened box is clamped to the image and truncated to integers
    /// (<c>int(max(x1 - mx / 2, 0))</c>, <c>int(min(x2 + mx / 2, width))</c>). A box wholly outside the image or
    /// narrower than a pixel after that is given one pixel (facenet-pytorch would fail on the empty crop).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, a margin outside [0, size), or an image size below 1.</exception>
    public static CropRegion Region(FaceBox box, int imageWidth, int imageHeight, int size = DefaultSize, int margin = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(margin);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(margin, size);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageHeight, 1);
        var marginX = margin * ((double)box.X2 - box.X1) / (size - margin);
        var marginY = margin * ((double)box.Y2 - box.Y1) / (size - margin);
        var x1 = Truncate(Math.Max(box.X1 - (marginX / 2), 0), imageWidth);
        var y1 = Truncate(Math.Max(box.Y1 - (marginY / 2), 0), imageHeight);
        var x2 = Truncate(Math.Min(box.X2 + (marginX / 2), imageWidth), imageWidth);
        var y2 = Truncate(Math.Min(box.Y2 + (marginY / 2), imageHeight), imageHeight);
        x1 = Math.Min(x1, imageWidth - 1);
        y1 = Math.Min(y1, imageHeight - 1);
        return new CropRegion(x1, y1, Math.Max(x2, x1 + 1), Math.Max(y2, y1 + 1));
    }

    /// <summary>Pillow's <c>Image.crop(region).resize((outWidth, outHeight), BILINEAR)</c> for an RGB image.</summary>
    internal static RgbImage Resize(RgbImage image, CropRegion region, int outWidth, int outHeight)
    {
        image.CheckRegion(region);
        var source = image.Span;
        var stride = image.Width * 3;
        var (hBounds, hWeights, hSize) = Coefficients(region.Width, outWidth);
        var (vBounds, vWeights, vSize) = Coefficients(region.Height, outHeight);
        var needHorizontal = region.Width != outWidth;
        var needVertical = region.Height != outHeight;

        // Rows of the region the vertical pass reads (Pillow's ybox_first and ybox_last).
        var firstRow = needVertical ? vBounds[0] : 0;
        var lastRow = needVertical ? vBounds[(2 * outHeight) - 2] + vBounds[(2 * outHeight) - 1] : region.Height;

        // Horizontal pass (or a plain copy of the region's rows) into a temporary of width outWidth.
        var tempWidth = needHorizontal ? outWidth : region.Width;
        var tempRows = lastRow - firstRow;
        var temp = new byte[tempRows * tempWidth * 3];
        for (var row = 0; row < tempRows; row++)
        {
            var src = source.Slice(((region.Y1 + firstRow + row) * stride) + (region.X1 * 3), region.Width * 3);
            var dst = temp.AsSpan(row * tempWidth * 3, tempWidth * 3);
            if (!needHorizontal)
            {
                src.CopyTo(dst);
                continue;
            }

            for (var xx = 0; xx < outWidth; xx++)
            {
                var xmin = hBounds[2 * xx];
                var xmax = hBounds[(2 * xx) + 1];
                var weights = hWeights.AsSpan(xx * hSize, hSize);
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                for (var x = 0; x < xmax; x++)
                {
                    var k = weights[x];
                    var i = (xmin + x) * 3;
                    r += src[i] * k;
                    g += src[i + 1] * k;
                    b += src[i + 2] * k;
                }

                dst[3 * xx] = Clip8(r);
                dst[(3 * xx) + 1] = Clip8(g);
                dst[(3 * xx) + 2] = Clip8(b);
            }
        }

        if (!needVertical)
        {
            return new RgbImage(outWidth, outHeight, temp);
        }

        var output = new byte[outWidth * outHeight * 3];
        var rowBytes = outWidth * 3;
        for (var yy = 0; yy < outHeight; yy++)
        {
            var ymin = vBounds[2 * yy] - firstRow;
            var ymax = vBounds[(2 * yy) + 1];
            var weights = vWeights.AsSpan(yy * vSize, vSize);
            for (var i = 0; i < rowBytes; i++)
            {
                var sum = 1 << (PrecisionBits - 1);
                for (var y = 0; y < ymax; y++)
                {
                    sum += temp[((ymin + y) * rowBytes) + i] * weights[y];
                }

                output[(yy * rowBytes) + i] = Clip8(sum);
            }
        }

        return new RgbImage(outWidth, outHeight, output);
    }

    /// <summary>
    /// Pillow's <c>precompute_coeffs</c> with the bilinear filter (support 1) and <c>normalize_coeffs_8bpc</c>: per output
    /// index the first source index and the count, and the fixed-point weights (<c>size</c> per output index).
    /// </summary>
    private static (int[] Bounds, int[] Weights, int Size) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = 1.0 * filterScale;
        var ksize = ((int)Math.Ceiling(support) * 2) + 1;
        var bounds = new int[outSize * 2];
        var weights = new int[outSize * ksize];
        var k = new double[ksize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ss = 1.0 / filterScale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            var ww = 0.0;
            for (var x = 0; x < xmax; x++)
            {
                var w = Bilinear((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }

            for (var x = 0; x < xmax; x++)
            {
                var w = ww != 0.0 ? k[x] / ww : k[x];
                weights[(xx * ksize) + x] = w < 0 ? (int)(-0.5 + (w * (1 << PrecisionBits))) : (int)(0.5 + (w * (1 << PrecisionBits)));
            }

            bounds[2 * xx] = xmin;
            bounds[(2 * xx) + 1] = xmax;
        }

        return (bounds, weights, ksize);
    }

    private static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static byte Clip8(int value)
    {
        var v = value >> PrecisionBits;
        return (byte)Math.Clamp(v, 0, 255);
    }

    private static int Truncate(double value, int limit) => (int)Math.Clamp(value, 0, limit);
}
