namespace FaceCluster.Analysis;

/// <summary>Bootstrap draws over a table whose rows may be copies of the same stimulus.</summary>
public static class Resampling
{
    /// <summary>
    /// Draws <c>rowToStimulus.Length</c> rows uniformly with replacement from the rows of a table
    /// in which row <c>t</c> is a copy of stimulus <c>rowToStimulus[t]</c>, and counts the draws per
    /// stimulus into <paramref name="counts"/> (cleared first).
    /// </summary>
    public static void DrawMultiplicities(ref SeededRandom random, ReadOnlySpan<int> rowToStimulus, Span<int> counts)
    {
        counts.Clear();
        var n = rowToStimulus.Length;
        for (var t = 0; t < n; t++)
        {
            counts[rowToStimulus[random.NextInt(n)]]++;
        }
    }

    /// <summary>The expanded row list of stimuli with <paramref name="weights"/> copies each (all 1 when null).</summary>
    public static int[] RowToStimulus(ReadOnlySpan<int> weights, int stimuli)
    {
        if (weights.IsEmpty)
        {
            var identity = new int[stimuli];
            for (var s = 0; s < stimuli; s++)
            {
                identity[s] = s;
            }

            return identity;
        }

        var total = 0;
        foreach (var w in weights)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(w, nameof(weights));
            total = checked(total + w);
        }

        var rows = new int[total];
        var next = 0;
        for (var s = 0; s < weights.Length; s++)
        {
            for (var c = 0; c < weights[s]; c++)
            {
                rows[next++] = s;
            }
        }

        return rows;
    }
}
