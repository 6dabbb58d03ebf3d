using FaceCluster.Torch;
using static TorchSharp.torch;

namespace FaceCluster.Vision.Tests;

public sealed class ResamplingAndNmsTests
{
    [Theory]
    [InlineData(0, 0, 37, 29, 13, 11)] // a pyramid level: shrink by a non-integer factor
    [InlineData(0, 0, 37, 29, 29, 37)] // same size: a copy
    [InlineData(5, 3, 20, 17, 24, 24)] // an RNet crop
    [InlineData(30, 20, 7, 9, 48, 48)] // a small box enlarged for ONet: windows of one or two pixels
    [InlineData(0, 0, 37, 29, 1, 1)] // the whole image in one window
    public void Area_resampling_equals_torch_interpolate_area_bit_for_bit(int x0, int y0, int width, int height, int outHeight, int outWidth)
    {
        TorchRuntime.Initialize();
        var image = DecodeTests.Synthetic(37, 29);
        using var integral = new IntegralImage(image);
        var ours = new float[3 * outHeight * outWidth];
        integral.ResampleNormalized(x0, y0, width, height, outHeight, outWidth, ours);

        using var scope = NewDisposeScope();
        var hwc = tensor(image.Span.ToArray(), [29, 37, 3]).to(ScalarType.Float32);
        var region = hwc.permute(2, 0, 1).narrow(1, y0, height).narrow(2, x0, width).unsqueeze(0);
        var resized = nn.functional.interpolate(region, [outHeight, outWidth], mode: InterpolationMode.Area);
        var expected = ((resized - 127.5f) * 0.0078125f).permute(0, 2, 3, 1).contiguous().data<float>().ToArray();

        Assert.Equal(expected, ours);
    }

    [Fact]
    public void Union_nms_keeps_the_best_and_drops_overlaps_above_the_threshold()
    {
        Candidate[] boxes =
        [
            new(0, 0, 10, 10, 0.8f),
            new(1, 0, 11, 10, 0.9f), // IoU with the first: 90 / 110 = 0.818
            new(20, 20, 30, 30, 0.5f),
            new(0, 5, 10, 15, 0.7f), // IoU with the second: 45 / 155 = 0.29
        ];

        Assert.Equal([1, 3, 2], Nms.Union(boxes, 0.5));
        Assert.Equal([1, 0, 3, 2], Nms.Union(boxes, 0.85));
        Assert.Empty(Nms.Union([], 0.5));
    }

    [Fact]
    public void Min_nms_measures_overlap_against_the_smaller_box_with_plus_one_areas()
    {
        // A small box inside a large one: IoU is small, but the overlap over the smaller area is 1.
        Candidate[] boxes = [new(0, 0, 99, 99, 0.9f), new(10, 10, 29, 29, 0.95f)];

        Assert.Equal([1, 0], Nms.Union(boxes, 0.7));
        Assert.Equal([1], Nms.Minimum(boxes, 0.7));

        // Touching edges overlap by one pixel under the +1 convention: 1 x 10 over 10 x 10.
        Candidate[] touching = [new(0, 0, 9, 9, 0.9f), new(9, 0, 18, 9, 0.8f)];
        Assert.Equal([0, 1], Nms.Minimum(touching, 0.1));
        Assert.Equal([0], Nms.Minimum(touching, 0.09));
    }

    [Fact]
    public void Equal_scores_are_visited_in_candidate_order()
    {
        Candidate[] boxes = [new(0, 0, 10, 10, 0.5f), new(0, 0, 10, 10, 0.5f), new(0, 0, 10, 10, 0.5f)];
        Assert.Equal([0], Nms.Union(boxes, 0.5));
        Assert.Equal([0], Nms.Minimum(boxes, 0.5));
    }
}
