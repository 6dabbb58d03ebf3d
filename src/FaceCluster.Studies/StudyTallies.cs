namespace FaceCluster.Studies;

/// <summary>
/// What the single pass over the ratings accumulates for aggregation: per (seed, country) the number of distinct
/// events (self_report, and all), per (seed, country, concept) the sum of intensities (self_report, and all).
/// Memory is <c>n_seeds * c * (q + 1) * 2</c> numbers, whatever the number of ratings.
/// </summary>
internal sealed class StudyTallies
{
    public StudyTallies(string[] seedIds, long[] seedRows, int countries, int concepts)
    {
        SeedIds = seedIds;
        SeedRows = seedRows;
        Countries = countries;
        Concepts = concepts;
        var cells = seedIds.Length * countries;
        SelfEvents = new long[cells];
        AllEvents = new long[cells];
        SelfSums = new double[(long)cells * concepts];
        AllSums = new double[(long)cells * concepts];
    }

    /// <summary>The seeds, in images-table order.</summary>
    public string[] SeedIds { get; }

    /// <summary>The images-table row of each seed.</summary>
    public long[] SeedRows { get; }

    public int Countries { get; }

    public int Concepts { get; }

    /// <summary>Distinct self_report events per (seed, country), at <c>seed * Countries + country</c>.</summary>
    public long[] SelfEvents { get; }

    /// <summary>Distinct events of both phases per (seed, country).</summary>
    public long[] AllEvents { get; }

    /// <summary>Sums of self_report intensities per (seed, country, concept), at <c>(seed * Countries + country) * Concepts + concept</c>.</summary>
    public double[] SelfSums { get; }

    /// <summary>Sums of intensities of both phases per (seed, country, concept).</summary>
    public double[] AllSums { get; }
}
