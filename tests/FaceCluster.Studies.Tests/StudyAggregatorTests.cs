using FaceCluster.Tables;

namespace FaceCluster.Studies.Tests;

public sealed class StudyAggregatorTests : IDisposable
{
    private const double Tolerance = 1e-12;

    private static readonly string[] TinyAttributes = ["CN:Anger", "CN:Joy", "CN:Fear", "US:Anger", "US:Joy", "US:Fear"];

    // Judgments: the mean over self_report events; concepts an event did not select count 0.
    // s1 CN: e1 (Anger 50, Joy 20) and e7 (Anger 10, Fear 60): 2 events.   s1 US: e3 (Fear 80).
    // s2 CN: e4 (Joy 40).                                                   s2 US: e5 (Anger, Joy, Fear 10).
    private static readonly double[] TinyJudgments =
    [
        30, 10, 30, 0, 0, 80,
        0, 40, 0, 10, 10, 10,
    ];

    // Targets before scaling: the mean over all events, by the event's (rater's) country.
    // s1 CN: e1, e2 (perceiver, Anger 30), e7: 3 events.   s1 US: e3 and e8 (a US perceiver rating m1, a CN mimic).
    // s2 CN: e4.                                            s2 US: e5 and e6 (perceiver, Joy 70).
    private static readonly double[] TinyRawTargets =
    [
        30, 20.0 / 3, 20, 0, 45, 40,
        0, 40, 0, 5, 40, 5,
    ];

    private readonly StudyFolderBuilder _study = StudyFolderBuilder.Tiny();

    public void Dispose() => _study.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<StudyAggregation> Aggregate(bool csv = false, int ratingsPerGroup = ParquetTableWriter.DefaultRowsPerGroup, StudyValidationOptions? options = null)
    {
        await _study.WriteAsync(csv, ratingsPerGroup);
        return await StudyAggregator.AggregateAsync(_study.Path, options, null, Ct);
    }

    private static void Near(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>Min-max scaling of each column over the rows, by hand.</summary>
    private static double[] Scaled(double[] raw, int width)
    {
        var rows = raw.Length / width;
        var scaled = new double[raw.Length];
        for (var j = 0; j < width; j++)
        {
            var column = Enumerable.Range(0, rows).Select(i => raw[(i * width) + j]).ToArray();
            double min = column.Min(), max = column.Max();
            for (var i = 0; i < rows; i++)
            {
                scaled[(i * width) + j] = max > min ? (column[i] - min) / (max - min) : 0;
            }
        }

        return scaled;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tiny_study_gives_the_hand_computed_means_and_scaling(bool csv)
    {
        var result = await Aggregate(csv);

        Assert.Equal(["s1", "s2"], result.SeedIds);
        Assert.Equal(TinyAttributes, result.Attributes);
        Near(TinyJudgments, result.Judgments);
        Near([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0], result.Targets);
        Near(Scaled(TinyRawTargets, 6), result.Targets);
        Assert.Empty(result.DroppedSeeds);
    }

    [Fact]
    public async Task Three_seeds_scale_between_0_and_1_and_a_constant_column_scales_to_0()
    {
        _study.Manifest = """{"name": "tiny", "countries": ["CN", "US"], "concepts": ["Anger", "Joy", "Fear", "Awe"], "languages": {"CN": "zh", "US": "en"}}""";
        _study.Images.AddRange(
        [
            ["s3", "seed", "s3", null, null, "images/s3.png"],
            ["m6", "mimic", "s3", "CN", "p6", "images/m6.png"],
            ["m7", "mimic", "s3", "US", "p7", "images/m7.png"],
        ]);
        _study.Ratings.AddRange(
        [
            ["e20", "p6", "CN", "m6", "self_report", "Anger", "15"],
            ["e21", "p7", "US", "m7", "self_report", "Joy", "20"],
            ["e21", "p7", "US", "m7", "self_report", "Fear", "40"],
            ["e22", "r5", "US", "m7", "perceiver", "Anger", "5"],
        ]);

        var result = await Aggregate();

        // Columns CN:Anger, CN:Joy, CN:Fear, CN:Awe, US:Anger, US:Joy, US:Fear, US:Awe; nobody selected Awe.
        Assert.Equal(["s1", "s2", "s3"], result.SeedIds);
        Near(
            [
                30, 10, 30, 0, 0, 0, 80, 0,
                0, 40, 0, 0, 10, 10, 10, 0,
                15, 0, 0, 0, 0, 20, 40, 0,
            ],
            result.Judgments);
        Near(
            [
                1, 1.0 / 6, 1, 0, 0, 1, 1, 0,
                0, 1, 0, 0, 1, 6.0 / 7, 0, 0,
                0.5, 0, 0, 0, 0.5, 0, 3.0 / 7, 0,
            ],
            result.Targets);
    }

    [Fact]
    public async Task Several_row_groups_aggregate_as_one()
    {
        var one = await Aggregate();
        var several = await Aggregate(ratingsPerGroup: 3);
        var batches = new List<int>();
        await using (var reader = await RatingsReader.OpenAsync(Path.Combine(_study.Path, "ratings.parquet"), Ct))
        {
            while (await reader.ReadBatchAsync(Ct) is { } batch)
            {
                batches.Add(batch.Count);
                Assert.Equal(_study.Ratings[(int)batch.FirstRow - 1][0], batch[0].EventId);
            }
        }

        var csv = await Aggregate(csv: true);

        Assert.Equal([3, 3, 3, 3], batches);
        Assert.Equal(one.Judgments, several.Judgments);
        Assert.Equal(one.Targets, several.Targets);
        Assert.Equal(one.Judgments, csv.Judgments);
        Assert.Equal(one.Targets, csv.Targets);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ratings_reader_gives_the_rows_as_written(bool csv)
    {
        _study.Ratings[2][6] = csv ? "a lot" : null;
        await _study.WriteAsync(csv);
        var rows = new List<RatingRow>();
        await using (var reader = await RatingsReader.OpenAsync(Path.Combine(_study.Path, csv ? "ratings.csv" : "ratings.parquet"), Ct))
        {
            while (await reader.ReadBatchAsync(Ct) is { } batch)
            {
                rows.AddRange(Enumerable.Range(0, batch.Count).Select(i => batch[i]));
            }
        }

        Assert.Equal(12, rows.Count);
        Assert.Equal(new RatingRow(1, "e1", "p1", "CN", "m1", "self_report", "Anger", 50, null), rows[0]);
        Assert.Equal(csv ? new RatingRow(3, "e2", "r1", "CN", "m1", "perceiver", "Anger", null, "a lot") : new RatingRow(3, "e2", "r1", "CN", "m1", "perceiver", "Anger", null, null), rows[2]);
    }

    [Fact]
    public async Task A_csv_larger_than_one_batch_aggregates_as_parquet()
    {
        // Many perceiver events on m1 from CN: more rows than one CSV batch holds.
        var rows = TableBatchReader.CsvBatchRows + 1000;
        for (var i = 0; i < rows; i++)
        {
            _study.Ratings.Add([$"x{i}", $"r{i % 97}", "CN", "m1", "perceiver", (i % 3) switch { 0 => "Anger", 1 => "Joy", _ => "Fear" }, (i % 101).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        var parquet = await Aggregate(ratingsPerGroup: 10_000);
        var csv = await Aggregate(csv: true);

        Assert.Equal(parquet.Judgments, csv.Judgments);
        Near(parquet.Targets, csv.Targets);
        Assert.Equal(12 + rows, csv.Statistics.RatingRows);
    }

    [Fact]
    public async Task Ratings_of_seed_images_are_ignored()
    {
        _study.Ratings.Add(["e9", "r4", "CN", "s1", "perceiver", "Anger", "100"]);
        _study.Ratings.Add(["e10", "p1", "US", "s2", "self_report", "Joy", "100"]);

        var result = await Aggregate();

        Near(TinyJudgments, result.Judgments);
        Near(Scaled(TinyRawTargets, 6), result.Targets);
        Assert.Equal(2, result.Statistics.SeedImageEvents);
    }

    [Fact]
    public async Task Incomplete_seed_country_pairs_are_refused_naming_the_seeds()
    {
        _study.Ratings.RemoveAll(r => r[0] == "e4");
        await _study.WriteAsync();

        var error = await Assert.ThrowsAsync<InvalidInputException>(() => StudyAggregator.AggregateAsync(_study.Path, null, null, Ct));

        Assert.Contains("the study has errors, nothing was aggregated: images.parquet:2: error: seed \"s2\" has no self_report rating events from CN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Incomplete_seeds_are_dropped_when_asked_and_scaling_uses_the_rest()
    {
        _study.Images.AddRange(
        [
            ["s3", "seed", "s3", null, null, "images/s3.png"],
            ["m6", "mimic", "s3", "CN", "p6", "images/m6.png"],
        ]);
        _study.Ratings.Add(["e20", "p6", "CN", "m6", "self_report", "Anger", "99"]);

        var result = await Aggregate(options: new StudyValidationOptions { DropIncompleteSeeds = true });

        Assert.Equal(["s1", "s2"], result.SeedIds);
        Assert.Equal(["s3"], result.DroppedSeeds);
        Near(TinyJudgments, result.Judgments);
        Near(Scaled(TinyRawTargets, 6), result.Targets);
    }

    [Fact]
    public async Task Studies_with_errors_are_refused()
    {
        _study.Ratings[0][5] = "Rage";
        _study.Ratings[1][6] = "500";
        await _study.WriteAsync();

        var error = await Assert.ThrowsAsync<InvalidInputException>(() => StudyAggregator.AggregateAsync(_study.Path, null, null, Ct));

        Assert.StartsWith(_study.Path + ": the study has errors, nothing was aggregated: ratings.parquet:1: error: column \"concept\": \"Rage\" is not a concept", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(and 1 more errors; run 'facecluster study validate' to see them)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outputs_are_wide_parquet_tables_in_manifest_order()
    {
        var result = await Aggregate();
        var folder = Directory.CreateDirectory(Path.Combine(_study.Root, "out")).FullName;

        await result.WriteAsync(folder, Ct);

        var judgments = ParquetTableReader.ReadAll(Path.Combine(folder, "judgments.parquet"));
        var targets = ParquetTableReader.ReadAll(Path.Combine(folder, "targets.parquet"));
        Assert.Equal(["seed_id", .. TinyAttributes], judgments.Columns.Select(c => c.Name));
        Assert.Equal(["seed_id", .. TinyAttributes], targets.Columns.Select(c => c.Name));
        Assert.Equal(new[] { "s1", "s2" }, (string?[])judgments.Columns[0].Values);
        Assert.Equal(new[] { 30.0, 0.0 }, (double[])judgments.Columns[1].Values);
        Assert.Equal(new[] { 80.0, 10.0 }, (double[])judgments.Columns[6].Values);
        Assert.Equal(new[] { 1.0, 0.0 }, (double[])targets.Columns[5].Values);
    }
}
