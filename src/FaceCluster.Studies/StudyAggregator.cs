using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>
/// The derived tables of a study (study-format.md, "Derived tables"): <c>judgments</c> and <c>targets</c>, both
/// <c>n_seeds x c q</c> with columns <c>seed_id</c> then <c>{country}:{concept}</c>, countries in manifest order and
/// concepts in manifest order within each country. Seeds are in images-table order.
/// </summary>
public sealed class StudyAggregation
{
    /// <summary>The file name of the judgments table.</summary>
    public const string JudgmentsFile = "judgments.parquet";

    /// <summary>The file name of the targets table.</summary>
    public const string TargetsFile = "targets.parquet";

    internal StudyAggregation(
        StudyManifest manifest, string[] seedIds, double[] judgments, double[] targets, string[] droppedSeeds, StudyStatistics statistics)
    {
        Manifest = manifest;
        SeedIds = seedIds;
        Judgments = judgments;
        Targets = targets;
        DroppedSeeds = droppedSeeds;
        Statistics = statistics;
    }

    /// <summary>The manifest whose countries and concepts name the columns.</summary>
    public StudyManifest Manifest { get; }

    /// <summary>The seeds (rows), in images-table order, without dropped ones.</summary>
    public IReadOnlyList<string> SeedIds { get; }

    /// <summary>The attribute columns, <c>{country}:{concept}</c> (see <see cref="StudyManifest.Attributes"/>).</summary>
    public IReadOnlyList<string> Attributes => Manifest.Attributes;

    /// <summary>
    /// Row-major judgments (<c>seed * Attributes.Count + attribute</c>): the mean self_report intensity, concepts an
    /// event did not select counting 0.
    /// </summary>
    public double[] Judgments { get; }

    /// <summary>Row-major targets: the mean intensity over all events, min-max scaled to [0, 1] per column over the seeds.</summary>
    public double[] Targets { get; }

    /// <summary>Seeds left out because they lack self_report events in some country (only with <see cref="StudyValidationOptions.DropIncompleteSeeds"/>).</summary>
    public IReadOnlyList<string> DroppedSeeds { get; }

    /// <summary>What the validation counted (images, events, rows).</summary>
    public StudyStatistics Statistics { get; }

    /// <summary>The judgments as Parquet columns: <c>seed_id</c>, then one <c>double</c> column per attribute.</summary>
    public IReadOnlyList<ParquetColumn> JudgmentColumns() => Columns(Judgments);

    /// <summary>The targets as Parquet columns: <c>seed_id</c>, then one <c>double</c> column per attribute.</summary>
    public IReadOnlyList<ParquetColumn> TargetColumns() => Columns(Targets);

    /// <summary>Writes <see cref="JudgmentsFile"/> and <see cref="TargetsFile"/> into <paramref name="folder"/> (each atomically).</summary>
    public async Task WriteAsync(string folder, CancellationToken cancellationToken = default)
    {
        // Both checked before either is written: no half-written aggregation.
        var judgments = JudgmentColumns();
        var targets = TargetColumns();
        ValueChecks.RequireFiniteResult("study aggregate", JudgmentsFile, judgments);
        ValueChecks.RequireFiniteResult("study aggregate", TargetsFile, targets);
        await ParquetTableWriter.WriteAsync(Path.Combine(folder, JudgmentsFile), judgments, cancellationToken).ConfigureAwait(false);
        await ParquetTableWriter.WriteAsync(Path.Combine(folder, TargetsFile), targets, cancellationToken).ConfigureAwait(false);
    }

    private List<ParquetColumn> Columns(double[] values)
    {
        var width = Attributes.Count;
        var columns = new List<ParquetColumn>(width + 1) { new(WideTable.SeedIdColumn, SeedIds.ToArray()) };
        for (var j = 0; j < width; j++)
        {
            var column = new double[SeedIds.Count];
            for (var i = 0; i < column.Length; i++)
            {
                column[i] = values[(i * width) + j];
            }

            columns.Add(new ParquetColumn(Attributes[j], column));
        }

        return columns;
    }
}

/// <summary>
/// Turns a validated study into its judgments and targets (study-format.md, "Derived tables"), from the sums the
/// validator's single streaming pass over the ratings accumulated.
/// </summary>
/// <remarks>
/// <para>For each seed <c>s</c>, country <c>a</c> and concept <c>k</c>, over the rating events on mimics of
/// <c>s</c> whose <c>country</c> is <c>a</c>:</para>
/// <list type="bullet">
/// <item><c>judgments[s, a:k]</c> = (sum of the intensities of <c>k</c> over the self_report events) / (number of
/// self_report events). An event lists only the concepts its rater selected; the others count as 0, hence the
/// division by the number of events rather than of rows.</item>
/// <item><c>targets[s, a:k]</c> = the same mean over the events of both phases (self_report and perceiver), then
/// min-max scaled over the seeds: <c>(v - min) / (max - min)</c> per column. A constant column (max = min) scales to
/// 0 everywhere.</item>
/// </list>
/// <para>"In that country" means the rating event's <c>country</c>, the rater's. For self_report events the rater
/// is the person who made the mimic, so it is also the maker's country (a mismatch is a validation warning, and
/// the event still counts for the rater's country). Perceiver events count for the perceiver's country, whoever made
/// the mimic.</para>
/// <para>Events on seed images are ignored (a warning): only mimics count. A seed with no self_report event in
/// some country has no judgment there: that is an error naming the seeds, unless the validation was asked to drop
/// such seeds (<see cref="StudyValidationOptions.DropIncompleteSeeds"/>), in which case they are left out of both
/// tables and listed in <see cref="StudyAggregation.DroppedSeeds"/>; min-max scaling then runs over the seeds kept.</para>
/// </remarks>
public static class StudyAggregator
{
    /// <summary>Validates the study folder (see <see cref="StudyValidator"/>) and aggregates it.</summary>
    /// <exception cref="InvalidInputException">The folder does not exist, or the study has errors (the message gives the first and the count).</exception>
    public static async Task<StudyAggregation> AggregateAsync(
        string folder, StudyValidationOptions? options = null, IStudyProgress? progress = null, CancellationToken cancellationToken = default)
    {
        var validation = await StudyValidator.ValidateAsync(folder, options, progress, cancellationToken).ConfigureAwait(false);
        return Aggregate(validation);
    }

    /// <summary>Aggregates a study that <paramref name="validation"/> found free of errors.</summary>
    /// <exception cref="InvalidInputException">The validation found errors (the message gives the first and the count), or no seed is left.</exception>
    public static StudyAggregation Aggregate(StudyValidationResult validation)
    {
        ArgumentNullException.ThrowIfNull(validation);
        var folder = validation.Folder.Path;
        if (validation.HasErrors)
        {
            var first = validation.Problems.First(p => p.IsError);
            var more = validation.ErrorCount > 1 ? $" (and {validation.ErrorCount - 1} more errors; run 'facecluster study validate' to see them)" : string.Empty;
            throw InvalidInputException.InFile(folder, $"the study has errors, nothing was aggregated: {first}{more}");
        }

        if (validation.Tallies is not { } tallies || validation.Manifest is not { } manifest)
        {
            throw InvalidInputException.InFile(folder, $"the study could not be checked in full ({string.Join("; ", validation.SkippedChecks)})");
        }

        var dropped = new HashSet<string>(validation.IncompleteSeeds, StringComparer.Ordinal);
        var kept = new List<int>(tallies.SeedIds.Length);
        for (var s = 0; s < tallies.SeedIds.Length; s++)
        {
            if (!dropped.Contains(tallies.SeedIds[s]))
            {
                kept.Add(s);
            }
        }

        if (kept.Count == 0)
        {
            throw InvalidInputException.InFile(
                folder, $"no seed has self_report events in every country ({tallies.SeedIds.Length} seeds dropped); nothing to aggregate");
        }

        var (judgments, targets) = Compute(tallies, kept);
        return new StudyAggregation(
            manifest,
            [.. kept.Select(s => tallies.SeedIds[s])],
            judgments,
            targets,
            [.. tallies.SeedIds.Where(dropped.Contains)],
            validation.Statistics);
    }

    /// <summary>The judgments and min-max scaled targets of the seeds <paramref name="kept"/> (ordinals in <paramref name="tallies"/>).</summary>
    internal static (double[] Judgments, double[] Targets) Compute(StudyTallies tallies, IReadOnlyList<int> kept)
    {
        int c = tallies.Countries, q = tallies.Concepts, width = c * q, n = kept.Count;
        var judgments = new double[(long)n * width];
        var targets = new double[(long)n * width];
        for (var i = 0; i < n; i++)
        {
            var s = kept[i];
            for (var a = 0; a < c; a++)
            {
                var cell = (s * c) + a;
                long self = tallies.SelfEvents[cell], all = tallies.AllEvents[cell];
                for (var k = 0; k < q; k++)
                {
                    var at = ((long)cell * q) + k;
                    var column = (a * q) + k;
                    judgments[((long)i * width) + column] = tallies.SelfSums[at] / self;
                    targets[((long)i * width) + column] = tallies.AllSums[at] / all;
                }
            }
        }

        for (var j = 0; j < width; j++)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                var v = targets[((long)i * width) + j];
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }

            var range = max - min;
            for (var i = 0; i < n; i++)
            {
                ref var v = ref targets[((long)i * width) + j];
                v = range > 0 ? (v - min) / range : 0;
            }
        }

        return (judgments, targets);
    }
}
