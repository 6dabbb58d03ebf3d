using System.Collections.Concurrent;
using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>
/// Checks a study folder against study-format.md and reports every problem (not just the first), each with its file,
/// 1-based row and column where relevant, as an error or a warning (see <see cref="StudyProblemKind"/>).
/// </summary>
/// <remarks>
/// <para>Steps: <c>study.json</c>; the images table (ids, kinds, seeds and their mimics, countries, face boxes); the
/// image files, in parallel (paths relative, without <c>..</c>, not leaving the folder through a symbolic link,
/// existing, decodable by SkiaSharp); and one streaming pass over the ratings table, which runs at the same time as
/// the image-file checks and accumulates, while it checks, the sums that <see cref="StudyAggregator"/> turns into
/// judgments and targets.</para>
/// <para>Memory does not grow with the number of rating rows, only with the number of distinct events (48 bytes each,
/// <see cref="EventTable"/>: events are identified by a 128-bit fingerprint of their id, <see cref="Fingerprint"/>,
/// raters by a 64-bit hash). The pass holds one or two batches of rows at a time (a Parquet row group, or 65,536 CSV
/// records), converted to codes as they are decoded (<see cref="RatingsPass"/>); decoding a Parquet row group of a
/// million rows takes several hundred MB while it lasts, so files written with very large row groups need more.</para>
/// <para>Countries: a rating counts for the country in its own <c>country</c> column, the rater's. For self_report
/// events the rater made the mimic, so that is also the maker's country; a self_report event whose country differs
/// from the mimic's is reported as a warning and counted under the rater's country.</para>
/// </remarks>
public static class StudyValidator
{
    /// <summary>Validates the study folder <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidInputException">The folder does not exist. Problems inside it are reported in the result instead.</exception>
    public static async Task<StudyValidationResult> ValidateAsync(
        string folder, StudyValidationOptions? options = null, IStudyProgress? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new StudyValidationOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxProblemsPerKind);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxParallelism);
        var study = StudyFolder.Open(folder);
        var log = new StudyProblemLog(options.MaxProblemsPerKind, [StudyManifest.FileName, study.ImagesName, study.RatingsName]);
        var skipped = new List<string>();

        var manifestProblems = new List<StudyProblem>();
        var manifest = StudyManifest.Read(study.ManifestPath, StudyManifest.FileName, manifestProblems);
        manifestProblems.ForEach(log.Add);
        study.ReportTables(log);

        var table = study.ImagesPath is null
            ? null
            : await StudyImageTable.ReadAsync(study.ImagesPath, study.ImagesName, log, cancellationToken).ConfigureAwait(false);
        var images = table is null ? null : ImageIndex.Build(table, manifest, log);

        long filesChecked = 0;
        var fileCheck = Task.CompletedTask;
        if (table is not null && options.CheckImageFiles)
        {
            fileCheck = Task.Run(() => filesChecked = CheckFiles(study, table, options, log, progress, cancellationToken), cancellationToken);
        }
        else if (options.CheckImageFiles)
        {
            skipped.Add("image files: there is no readable images table");
        }

        RatingsPass? ratings = null;
        try
        {
            if (study.RatingsPath is null)
            {
                // Reported as a missing table.
            }
            else if (manifest is null)
            {
                skipped.Add("ratings: study.json is missing or invalid, so countries and concepts cannot be checked");
            }
            else
            {
                if (images is null)
                {
                    skipped.Add("ratings: image ids cannot be checked without a readable images table");
                }

                ratings = new RatingsPass(manifest, images, log, study.RatingsName);
                await ratings.RunAsync(study.RatingsPath, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Let the image-file checks finish (or fail) before reporting, whatever happened to the ratings.
            await fileCheck.ConfigureAwait(false);
        }

        var incomplete = new List<string>();
        StudyTallies? tallies = null;
        if (ratings is { Complete: true, Tallies: { } t } && manifest is not null)
        {
            tallies = t;
            CheckCoverage(t, manifest, options.DropIncompleteSeeds, study.ImagesName, log, incomplete);
        }
        else if (ratings is not null)
        {
            skipped.Add("judgments: which seeds lack ratings in some country is unknown (the ratings could not be read in full)");
        }

        var (problems, counts) = log.Snapshot();
        var statistics = new StudyStatistics(
            Images: table?.Images.Count ?? 0,
            Seeds: images?.SeedIds.Count ?? 0,
            Mimics: images?.MimicCount ?? 0,
            ImageFilesChecked: Interlocked.Read(ref filesChecked),
            RatingRows: ratings?.Rows ?? 0,
            Events: ratings?.Events ?? 0,
            SelfReportEvents: ratings?.SelfReportEvents ?? 0,
            PerceiverEvents: ratings?.PerceiverEvents ?? 0,
            SeedImageEvents: ratings?.SeedImageEvents ?? 0);
        return new StudyValidationResult(study, options, manifest, problems, counts, statistics, skipped, incomplete, tallies);
    }

    private static void CheckCoverage(
        StudyTallies tallies, StudyManifest manifest, bool drop, string imagesFile, StudyProblemLog log, List<string> incomplete)
    {
        var c = tallies.Countries;
        var missing = new List<string>();
        for (var s = 0; s < tallies.SeedIds.Length; s++)
        {
            missing.Clear();
            for (var a = 0; a < c; a++)
            {
                if (tallies.SelfEvents[(s * c) + a] == 0)
                {
                    missing.Add(manifest.Countries[a]);
                }
            }

            if (missing.Count == 0)
            {
                continue;
            }

            incomplete.Add(tallies.SeedIds[s]);
            var message = $"seed \"{tallies.SeedIds[s]}\" has no self_report rating events from {string.Join(", ", missing)}; "
                + (drop ? "dropped from judgments and targets (--drop-incomplete)" : "judgments need at least one per country (or drop such seeds with --drop-incomplete)");
            log.Add(new StudyProblem(
                drop ? StudyProblemSeverity.Warning : StudyProblemSeverity.Error, StudyProblemKind.IncompleteSeed, imagesFile, tallies.SeedRows[s], null, message));
        }
    }

    private static long CheckFiles(
        StudyFolder study, StudyImageTable table, StudyValidationOptions options, StudyProblemLog log, IStudyProgress? progress, CancellationToken cancellationToken)
    {
        var checker = new ImageFileChecker(study.Path, options.DecodeImages);
        var rows = table.Images;
        var total = rows.Count;
        long done = 0, checkedFiles = 0;
        var stage = options.DecodeImages ? "image files (full decode)" : "image files";
        progress?.Report(stage, 0, total);
        var parallelism = options.MaxParallelism > 0 ? options.MaxParallelism : Environment.ProcessorCount;
        Parallel.ForEach(
            Partitioner.Create(0, total, Math.Max(16, Math.Min(1024, total / (parallelism * 8) + 1))),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            range =>
            {
                long local = 0;
                for (var i = range.Item1; i < range.Item2; i++)
                {
                    if (rows[i].Path is { } path)
                    {
                        checker.Check(path, rows[i].Row, table.File, log);
                        local++;
                    }
                }

                Interlocked.Add(ref checkedFiles, local);
                var completed = Interlocked.Add(ref done, range.Item2 - range.Item1);
                progress?.Report(stage, completed, total);
            });
        return checkedFiles;
    }
}
