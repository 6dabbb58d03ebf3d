namespace FaceCluster.Studies;

/// <summary>What a validation counted in the study.</summary>
/// <param name="Images">Rows of the images table.</param>
/// <param name="Seeds">Seed images.</param>
/// <param name="Mimics">Mimic images.</param>
/// <param name="ImageFilesChecked">Image files whose paths and contents were checked.</param>
/// <param name="RatingRows">Rows of the ratings table.</param>
/// <param name="Events">Distinct rating events.</param>
/// <param name="SelfReportEvents">Events of phase self_report on mimics, counted towards judgments and targets.</param>
/// <param name="PerceiverEvents">Events of phase perceiver on mimics, counted towards targets.</param>
/// <param name="SeedImageEvents">Events on seed images, ignored (only mimics count).</param>
public sealed record StudyStatistics(
    long Images, long Seeds, long Mimics, long ImageFilesChecked, long RatingRows, long Events, long SelfReportEvents, long PerceiverEvents, long SeedImageEvents);

/// <summary>The outcome of <see cref="StudyValidator.ValidateAsync"/>: every problem counted, the first of each kind kept.</summary>
public sealed class StudyValidationResult
{
    internal StudyValidationResult(
        StudyFolder folder,
        StudyValidationOptions options,
        StudyManifest? manifest,
        List<StudyProblem> problems,
        List<StudyProblemCount> counts,
        StudyStatistics statistics,
        List<string> skippedChecks,
        List<string> incompleteSeeds,
        StudyTallies? tallies)
    {
        Folder = folder;
        Options = options;
        Manifest = manifest;
        Problems = problems;
        Counts = counts;
        Statistics = statistics;
        SkippedChecks = skippedChecks;
        IncompleteSeeds = incompleteSeeds;
        Tallies = tallies;
        ErrorCount = counts.Where(c => c.Severity == StudyProblemSeverity.Error).Sum(c => c.Count);
        WarningCount = counts.Where(c => c.Severity == StudyProblemSeverity.Warning).Sum(c => c.Count);
    }

    /// <summary>The study folder.</summary>
    public StudyFolder Folder { get; }

    /// <summary>The options the validation ran with.</summary>
    public StudyValidationOptions Options { get; }

    /// <summary>The manifest, or null when <c>study.json</c> is missing or invalid.</summary>
    public StudyManifest? Manifest { get; }

    /// <summary>The kept problems (the first <see cref="StudyValidationOptions.MaxProblemsPerKind"/> of each kind), in file and row order.</summary>
    public IReadOnlyList<StudyProblem> Problems { get; }

    /// <summary>How many problems of each kind and severity there are, and how many were kept.</summary>
    public IReadOnlyList<StudyProblemCount> Counts { get; }

    /// <summary>All errors, kept or not.</summary>
    public long ErrorCount { get; }

    /// <summary>All warnings, kept or not.</summary>
    public long WarningCount { get; }

    /// <summary>Whether there is any error.</summary>
    public bool HasErrors => ErrorCount > 0;

    /// <summary>What the validation counted.</summary>
    public StudyStatistics Statistics { get; }

    /// <summary>Checks that could not run because an earlier problem prevents them (for example, ratings without a usable manifest).</summary>
    public IReadOnlyList<string> SkippedChecks { get; }

    /// <summary>Seeds lacking <c>self_report</c> events in some country, in images-table order (dropped when so asked).</summary>
    public IReadOnlyList<string> IncompleteSeeds { get; }

    /// <summary>The sums and counts of the ratings pass, for <see cref="StudyAggregator"/>; null when the ratings could not be read.</summary>
    internal StudyTallies? Tallies { get; }
}
