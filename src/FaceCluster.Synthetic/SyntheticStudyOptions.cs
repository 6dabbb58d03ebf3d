namespace FaceCluster.Synthetic;

/// <summary>The preset sizes of a synthetic study.</summary>
public enum StudyScale
{
    /// <summary>About 60 seeds and 1,000 mimics: seconds.</summary>
    Tiny,

    /// <summary>About 300 seeds and 10,000 mimics: a minute or two.</summary>
    Small,

    /// <summary>The paper's size: 4,659 seeds and about 450,000 mimics.</summary>
    Paper,
}

/// <summary>The parameters of a synthetic study; everything it contains follows from them.</summary>
public sealed record SyntheticStudyOptions
{
    /// <summary>The preset that sets the number of seeds and mimics unless overridden.</summary>
    public StudyScale Scale { get; init; } = StudyScale.Tiny;

    /// <summary>The seed of every random stream.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Seed images; <see langword="null"/> takes the scale's (60, 300, 4,659).</summary>
    public int? Seeds { get; init; }

    /// <summary>Mimics of each seed, spread over the countries in turn; <see langword="null"/> takes the scale's (17, 33, 97).</summary>
    public int? MimicsPerSeed { get; init; }

    /// <summary>The countries, a subset of the paper's six, in manifest order.</summary>
    public IReadOnlyList<string> Countries { get; init; } = EmotionConcepts.Countries;

    /// <summary>How many concepts (the first N of <see cref="EmotionConcepts.All"/>).</summary>
    public int Concepts { get; init; } = 48;

    /// <summary>Planted expression dimensions.</summary>
    public int Dimensions { get; init; } = 28;

    /// <summary>How many planted dimensions mean the same concepts in every country.</summary>
    public int Universal { get; init; } = 21;

    /// <summary>Rating events of other raters (perceivers) per mimic, besides its maker's self-report.</summary>
    public int PerceiverEventsPerMimic { get; init; } = 2;

    /// <summary>How many mimics one participant makes (of different seeds).</summary>
    public int MimicsPerParticipant { get; init; } = 12;

    /// <summary>JPEG quality of the images.</summary>
    public int JpegQuality { get; init; } = 88;

    /// <summary>Worker threads (0: all cores). The output does not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>The study's name in <c>study.json</c>.</summary>
    public string Name { get; init; } = "synthetic-brooks-2024";

    /// <summary>The number of seeds after applying the scale's default.</summary>
    public int SeedCount => Seeds ?? Scale switch { StudyScale.Tiny => 60, StudyScale.Small => 300, _ => 4659 };

    /// <summary>The number of mimics per seed after applying the scale's default.</summary>
    public int MimicsPerSeedCount => MimicsPerSeed ?? Scale switch { StudyScale.Tiny => 17, StudyScale.Small => 33, _ => 97 };

    /// <summary>The worker threads to use.</summary>
    public int ThreadCount => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>The problems with these options, one sentence each; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SeedCount is < 1 or > 1_000_000)
        {
            errors.Add($"seeds must be 1 to 1000000 (got {SeedCount})");
        }

        if (Countries.Count == 0 || Countries.Any(c => !EmotionConcepts.Languages.ContainsKey(c)) || Countries.Distinct(StringComparer.Ordinal).Count() != Countries.Count)
        {
            errors.Add($"countries must be distinct codes among {string.Join(",", EmotionConcepts.Countries)} (got {string.Join(",", Countries)})");
        }
        else if (MimicsPerSeedCount > 10_000)
        {
            errors.Add($"mimics per seed must be at most 10000 (got {MimicsPerSeedCount})");
        }
        else if (MimicsPerSeedCount < Countries.Count)
        {
            errors.Add($"mimics per seed must be at least the number of countries ({Countries.Count}) so that every seed is imitated in every country (got {MimicsPerSeedCount})");
        }

        if (Concepts < 2 || Concepts > EmotionConcepts.All.Count)
        {
            errors.Add($"concepts must be between 2 and {EmotionConcepts.All.Count} (got {Concepts})");
        }

        if (Dimensions < 1 || Dimensions > 64)
        {
            errors.Add($"dimensions must be between 1 and 64 (got {Dimensions})");
        }

        if (Universal < 0 || Universal > Dimensions)
        {
            errors.Add($"universal dimensions must be between 0 and the number of dimensions, {Dimensions} (got {Universal})");
        }

        if (PerceiverEventsPerMimic < 0 || PerceiverEventsPerMimic > 20)
        {
            errors.Add($"perceiver events per mimic must be between 0 and 20 (got {PerceiverEventsPerMimic})");
        }

        if (MimicsPerParticipant is < 1 or > 1_000_000)
        {
            errors.Add($"mimics per participant must be 1 to 1000000 (got {MimicsPerParticipant})");
        }

        if (JpegQuality < 1 || JpegQuality > 100)
        {
            errors.Add($"JPEG quality must be between 1 and 100 (got {JpegQuality})");
        }

        if (Threads is < 0 or > 512)
        {
            errors.Add($"threads must be 0 (all cores) to 512 (got {Threads})");
        }

        if (string.IsNullOrWhiteSpace(Name))
        {
            errors.Add("the study needs a name");
        }

        return errors;
    }
}
