namespace FaceCluster.Vision;

/// <summary>
/// Greedy non-maximum suppression over candidate boxes, deterministic: candidates are visited by descending score,
/// equal scores in ascending index order.
/// </summary>
internal static class Nms
{
    /// <summary>
    /// torchvision's <c>nms</c>: overlap is intersection over union with areas <c>(x2 - x1) * (y2 - y1)</c>; a box is
    /// suppressed when its overlap with a kept box exceeds <paramref name="threshold"/> (compared in double, as there).
    /// Returns the kept indices, best first.
    /// </summary>
    public static int[] Union(ReadOnlySpan<Candidate> boxes, double threshold) => Run(boxes, threshold, minimum: false);

    /// <summary>
    /// facenet-pytorch's <c>nms_numpy</c> with method 'Min': areas <c>(x2 - x1 + 1) * (y2 - y1 + 1)</c>, overlap is the
    /// intersection (with the same +1) over the smaller area; suppressed when above <paramref name="threshold"/>
    /// (compared in float, as NumPy does for a float32 array).
    /// </summary>
    public static int[] Minimum(ReadOnlySpan<Candidate> boxes, double threshold) => Run(boxes, threshold, minimum: true);

    private static int[] Run(ReadOnlySpan<Candidate> boxes, double threshold, bool minimum)
    {
        var n = boxes.Length;
        if (n == 0)
        {
            return [];
        }

        var order = new int[n];
        var scores = new float[n];
        var areas = new float[n];
        var offset = minimum ? 1f : 0f;
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
            scores[i] = boxes[i].Score;
            areas[i] = (boxes[i].X2 - boxes[i].X1 + offset) * (boxes[i].Y2 - boxes[i].Y1 + offset);
        }

        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        var suppressed = new bool[n];
        var keep = new List<int>();
        var floatThreshold = (float)threshold;
        for (var oi = 0; oi < n; oi++)
        {
            var i = order[oi];
            if (suppressed[i])
            {
                continue;
            }

            keep.Add(i);
            var bi = boxes[i];
            for (var oj = oi + 1; oj < n; oj++)
            {
                var j = order[oj];
                if (suppressed[j])
                {
                    continue;
                }

                var bj = boxes[j];
                var w = Math.Max(0f, Math.Min(bi.X2, bj.X2) - Math.Max(bi.X1, bj.X1) + offset);
                var h = Math.Max(0f, Math.Min(bi.Y2, bj.Y2) - Math.Max(bi.Y1, bj.Y1) + offset);
                var intersection = w * h;
                if (minimum)
                {
                    var overlap = intersection / Math.Min(areas[i], areas[j]);
                    if (!(overlap <= floatThreshold))
                    {
                        suppressed[j] = true;
                    }
                }
                else
                {
                    var overlap = intersection / (areas[i] + areas[j] - intersection);
                    if (overlap > threshold)
                    {
                        suppressed[j] = true;
                    }
                }
            }
        }

        return [.. keep];
    }
}

/// <summary>A candidate box with its score, in float as facenet-pytorch computes them.</summary>
internal readonly record struct Candidate(float X1, float Y1, float X2, float Y2, float Score);
