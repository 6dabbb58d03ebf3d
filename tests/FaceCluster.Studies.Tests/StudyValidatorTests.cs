using FaceCluster.Tables;
namespace FaceCluster.Studies.Tests;

public sealed class StudyValidatorTests : IDisposable
{
    private readonly StudyFolderBuilder _study = StudyFolderBuilder.Tiny();

    public void Dispose() => _study.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<StudyValidationResult> Validate(bool csv = false, StudyValidationOptions? options = null)
    {
        await _study.WriteAsync(csv);
        return await StudyValidator.ValidateAsync(_study.Path, options, null, Ct);
    }

    /// <summary>Asserts that exactly one problem of <paramref name="kind"/> was found, where and as expected.</summary>
    private static StudyProblem Single(
        StudyValidationResult result, StudyProblemKind kind, string file, long? row, string? column, string fragment,
        StudyProblemSeverity severity = StudyProblemSeverity.Error)
    {
        var problems = result.Problems.Where(p => p.Kind == kind).ToList();
        var problem = Assert.Single(problems);
        Assert.Equal(severity, problem.Severity);
        Assert.Equal(file, problem.File);
        Assert.Equal(row, problem.Row);
        Assert.Equal(column, problem.Column);
        Assert.Contains(fragment, problem.Message, StringComparison.Ordinal);
        return problem;
    }

    private static void OnlyProblemIs(StudyValidationResult result, StudyProblemKind kind)
    {
        Assert.All(result.Problems, p => Assert.Equal(kind, p.Kind));
        Assert.NotEmpty(result.Problems);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_tiny_study_is_valid(bool csv)
    {
        var result = await Validate(csv);

        Assert.Empty(result.Problems);
        Assert.False(result.HasErrors);
        Assert.Equal(0, result.WarningCount);
        Assert.Equal(new StudyStatistics(7, 2, 5, 7, 12, 8, 5, 3, 0), result.Statistics);
        Assert.Equal(["CN", "US"], result.Manifest!.Countries);
    }

    [Fact]
    public async Task A_missing_folder_is_bad_input()
    {
        var error = await Assert.ThrowsAsync<FaceCluster.Tables.InvalidInputException>(
            () => StudyValidator.ValidateAsync(Path.Combine(_study.Root, "nope"), null, null, Ct));
        Assert.Contains("study folder not found", error.Message, StringComparison.Ordinal);
    }

    // ---- study.json ----

    [Fact]
    public async Task Missing_manifest()
    {
        _study.Manifest = null;
        var result = await Validate();

        Single(result, StudyProblemKind.ManifestMissing, "study.json", null, null, "file not found");
        Assert.Contains(result.SkippedChecks, s => s.StartsWith("ratings:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Manifest_that_is_not_json_names_the_line()
    {
        _study.Manifest = "{\n  \"name\": \"x\",\n  \"countries\": [\"CN\",, \"US\"]\n}";
        var result = await Validate();

        Single(result, StudyProblemKind.ManifestSyntax, "study.json", 3, null, "not valid JSON");
    }

    [Fact]
    public async Task Manifest_without_concepts_names_the_field()
    {
        _study.Manifest = """{"name": "x", "countries": ["CN", "US"], "languages": {"CN": "zh", "US": "en"}}""";
        var result = await Validate();

        Single(result, StudyProblemKind.ManifestField, "study.json", null, "concepts", "missing");
    }

    [Fact]
    public async Task Manifest_problems_are_all_reported_with_their_fields()
    {
        _study.Manifest = """
            {"name": "", "countries": ["CN", "CN", "U:S"], "concepts": ["Anger", 3],
             "languages": {"CN": "zh", "FR": "fr"}, "labels": {"CN": {"Rage": "x"}}, "extra": 1}
            """;
        var result = await Validate();

        var fields = result.Problems.Where(p => p.Kind == StudyProblemKind.ManifestField).Select(p => p.Column).ToList();
        Assert.Equal(["concepts[1]", "countries[1]", "countries[2]", "labels.CN.Rage", "languages", "languages.FR", "name"], fields.Order(StringComparer.Ordinal));
        Assert.Contains(result.Problems, p => p.Column == "countries[1]" && p.Message.Contains("appears twice", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Column == "countries[2]" && p.Message.Contains("contains ':'", StringComparison.Ordinal));
        Assert.Contains(result.Problems, p => p.Column == "languages" && p.Message.Contains("no language for country \"U:S\"", StringComparison.Ordinal));
        Single(result, StudyProblemKind.ManifestUnknownField, "study.json", null, "extra", "not a field", StudyProblemSeverity.Warning);
    }

    [Fact]
    public async Task Manifest_with_a_duplicate_key_is_refused()
    {
        _study.Manifest = """{"name": "x", "name": "y", "countries": ["CN", "US"], "concepts": ["Anger"], "languages": {"CN": "zh", "US": "en"}}""";
        var result = await Validate();

        Assert.Contains(result.Problems, p => p.Kind == StudyProblemKind.ManifestSyntax && p.File == "study.json");
    }

    // ---- images table ----

    [Fact]
    public async Task Missing_tables()
    {
        await _study.WriteAsync();
        File.Delete(Path.Combine(_study.Path, "images.parquet"));
        File.Delete(Path.Combine(_study.Path, "ratings.parquet"));
        var result = await StudyValidator.ValidateAsync(_study.Path, null, null, Ct);

        Assert.Equal(2, result.Problems.Count(p => p.Kind == StudyProblemKind.TableMissing));
        Assert.Contains(result.Problems, p => p.File == "images.parquet" && p.Message.Contains("nor images.csv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_column_in_the_images_table()
    {
        await _study.WriteAsync();
        await _study.WriteImagesParquetAsync(
            [.. StudyFolderBuilder.ImageColumns.Where(c => c != "participant_id")
                .Select(c => new FaceCluster.Tables.ParquetColumn(c, _study.Images.Select(r => r[Array.IndexOf(StudyFolderBuilder.ImageColumns, c)]).ToArray()))]);
        var result = await StudyValidator.ValidateAsync(_study.Path, null, null, Ct);

        Single(result, StudyProblemKind.ColumnMissing, "images.parquet", null, "participant_id", "required column not found");
    }

    [Fact]
    public async Task Column_of_the_wrong_type()
    {
        await _study.WriteAsync();
        var columns = StudyFolderBuilder.ImageColumns
            .Select((c, j) => c == "kind"
                ? new FaceCluster.Tables.ParquetColumn(c, _study.Images.Select(_ => 1).ToArray())
                : new FaceCluster.Tables.ParquetColumn(c, _study.Images.Select(r => r[j]).ToArray()))
            .ToArray();
        await _study.WriteImagesParquetAsync(columns);
        var result = await StudyValidator.ValidateAsync(_study.Path, null, null, Ct);

        Single(result, StudyProblemKind.ColumnType, "images.parquet", null, "kind", "must be a string column, found a Int32 column");
    }

    [Fact]
    public async Task Csv_row_with_the_wrong_number_of_fields()
    {
        await _study.WriteAsync(csv: true);
        var path = Path.Combine(_study.Path, "images.csv");
        var lines = File.ReadAllLines(path).ToList();
        lines[4] += ",extra";
        File.WriteAllLines(path, lines);
        var result = await StudyValidator.ValidateAsync(_study.Path, null, null, Ct);

        Single(result, StudyProblemKind.FieldCount, "images.csv", 4, null, "7 fields, but the header has 6");
    }

    [Fact]
    public async Task Unknown_country_in_images()
    {
        _study.Images[_study.ImageRow("m3") - 1][3] = "FR";
        var result = await Validate();

        Single(result, StudyProblemKind.UnknownCountry, "images.parquet", 5, "country", "\"FR\" is not a country of study.json (CN, US)");
    }

    [Fact]
    public async Task Duplicate_image_id()
    {
        _study.Images.Add(["m2", "mimic", "s2", "US", "p9", "images/m2b.png"]);
        var result = await Validate();

        Single(result, StudyProblemKind.DuplicateImageId, "images.parquet", 8, "image_id", "image id \"m2\" appears twice (first in row 4)");
    }

    [Fact]
    public async Task Invalid_kind()
    {
        _study.Images[_study.ImageRow("m4") - 1][1] = "copy";
        var result = await Validate();

        Single(result, StudyProblemKind.InvalidKind, "images.parquet", 6, "kind", "\"copy\" is not a kind");
    }

    [Fact]
    public async Task Seed_whose_seed_id_is_not_its_image_id()
    {
        _study.Images[_study.ImageRow("s2") - 1][2] = "s1";
        var result = await Validate();

        Single(result, StudyProblemKind.SeedIdMismatch, "images.parquet", 2, "seed_id", "seed row has seed_id \"s1\" but image_id \"s2\"");
    }

    [Fact]
    public async Task Mimic_whose_seed_is_missing()
    {
        _study.Images.Add(["m9", "mimic", "s9", "CN", "p9", "images/m9.png"]);
        _study.Images.Add(["m10", "mimic", "m1", "CN", "p10", "images/m10.png"]);
        var result = await Validate();

        var problems = result.Problems.Where(p => p.Kind == StudyProblemKind.MissingSeed).ToList();
        Assert.Equal(2, problems.Count);
        Assert.Equal((8L, "seed_id"), (problems[0].Row!.Value, problems[0].Column!));
        Assert.Contains("mimic \"m9\" imitates seed \"s9\", but there is no seed image with that id", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("image \"m1\" (row 3) is not of kind seed", problems[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_without_mimics_is_a_warning_and_its_missing_ratings_an_error()
    {
        _study.Images.Add(["s3", "seed", "s3", null, null, "images/s3.png"]);
        var result = await Validate();

        Single(result, StudyProblemKind.SeedWithoutMimics, "images.parquet", 8, null, "seed \"s3\" has no mimics", StudyProblemSeverity.Warning);
        Single(result, StudyProblemKind.IncompleteSeed, "images.parquet", 8, null, "seed \"s3\" has no self_report rating events from CN, US");
    }

    [Fact]
    public async Task Missing_values_in_images()
    {
        _study.Images[_study.ImageRow("m2") - 1][3] = null;
        var result = await Validate(csv: true);

        Single(result, StudyProblemKind.MissingValue, "images.csv", 4, "country", "missing country");
    }

    [Fact]
    public async Task Face_boxes_are_checked_when_given()
    {
        await _study.WriteAsync(csv: true);
        var path = Path.Combine(_study.Path, "images.csv");
        var lines = File.ReadAllLines(path).ToList();
        lines[0] += ",face_x1,face_y1,face_x2,face_y2";
        for (var i = 1; i < lines.Count; i++)
        {
            lines[i] += i == 3 ? ",5,5,1,9" : ",1,1,7,7";
        }

        File.WriteAllLines(path, lines);
        var result = await StudyValidator.ValidateAsync(_study.Path, null, null, Ct);

        Single(result, StudyProblemKind.InvalidFaceBox, "images.csv", 3, null, "is empty or inverted", StudyProblemSeverity.Warning);
        var table = await StudyImageTable.ReadAsync(path, Ct);
        Assert.True(table.HasFaceBoxes);
        Assert.Equal(new FaceBox(1, 1, 7, 7), table.Images[0].Face);
        Assert.Null(table.Images[2].Face);
    }

    // ---- ratings table ----

    [Fact]
    public async Task Unknown_concept_in_ratings()
    {
        _study.Ratings[3][5] = "Rage";
        var result = await Validate();

        Single(result, StudyProblemKind.UnknownConcept, "ratings.parquet", 4, "concept", "\"Rage\" is not a concept of study.json");
    }

    [Fact]
    public async Task Unknown_country_in_ratings()
    {
        _study.Ratings[2][2] = "FR";
        var result = await Validate();

        Single(result, StudyProblemKind.UnknownCountry, "ratings.parquet", 3, "country", "\"FR\" is not a country of study.json");
    }

    [Fact]
    public async Task Invalid_phase()
    {
        _study.Ratings[8][4] = "rating";
        var result = await Validate();

        Single(result, StudyProblemKind.InvalidPhase, "ratings.parquet", 9, "phase", "\"rating\" is not a phase");
    }

    [Theory]
    [InlineData("101", "101 is outside 0..100")]
    [InlineData("-0.5", "-0.5 is outside 0..100")]
    [InlineData("NaN", "NaN is outside 0..100")]
    public async Task Intensity_outside_0_to_100(string intensity, string message)
    {
        _study.Ratings[6][6] = intensity;
        var result = await Validate();

        Single(result, StudyProblemKind.IntensityOutOfRange, "ratings.parquet", 7, "intensity", message);
    }

    [Fact]
    public async Task Intensity_that_is_not_a_number()
    {
        _study.Ratings[6][6] = "lots";
        var result = await Validate(csv: true);

        Single(result, StudyProblemKind.IntensityNotNumber, "ratings.csv", 7, "intensity", "\"lots\" is not a number");
    }

    [Fact]
    public async Task Missing_values_in_ratings()
    {
        _study.Ratings[4][1] = null;
        _study.Ratings[5][6] = null;
        var result = await Validate(csv: true);

        var missing = result.Problems.Where(p => p.Kind == StudyProblemKind.MissingValue).Select(p => (p.Row, p.Column, p.Message)).ToList();
        Assert.Equal([(5L, "rater_id", "missing rater_id"), (6L, "intensity", "missing intensity")], missing.Select(m => (m.Row!.Value, m.Column!, m.Message)));
    }

    [Fact]
    public async Task Duplicate_event_and_concept()
    {
        _study.Ratings.Add(["e5", "p4", "US", "m4", "self_report", "Joy", "15"]);
        var result = await Validate();

        Single(result, StudyProblemKind.DuplicateRating, "ratings.parquet", 13, "concept", "event \"e5\" rates concept \"Joy\" twice (the event starts in row 6)");
    }

    [Fact]
    public async Task Event_whose_rows_disagree()
    {
        _study.Ratings[1][1] = "p9";
        _study.Ratings[6][3] = "m2";
        _study.Ratings[7][2] = "CN";
        _study.Ratings[10][4] = "perceiver";
        var result = await Validate();

        var problems = result.Problems.Where(p => p.Kind == StudyProblemKind.InconsistentEvent).ToList();
        Assert.Equal([2L, 7, 8, 11], problems.Select(p => p.Row!.Value));
        Assert.All(problems, p => Assert.Equal("ratings.parquet", p.File));
        Assert.Contains("event \"e1\" has another rater_id here, unlike its first row (row 1)", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("event \"e5\" has image_id \"m2\" here, unlike its first row (row 6)", problems[1].Message, StringComparison.Ordinal);
        Assert.Contains("country \"CN\"", problems[2].Message, StringComparison.Ordinal);
        Assert.Contains("phase \"perceiver\"", problems[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rating_of_an_unknown_image()
    {
        _study.Ratings[3][3] = "m77";
        var result = await Validate();

        Single(result, StudyProblemKind.UnknownImage, "ratings.parquet", 4, "image_id", "event \"e3\" rates image \"m77\", which is not in the images table");
    }

    [Fact]
    public async Task Ratings_of_seed_images_are_a_warning_and_ignored()
    {
        _study.Ratings.Add(["e9", "r4", "CN", "s2", "perceiver", "Anger", "100"]);
        var result = await Validate();

        Single(result, StudyProblemKind.RatedSeedImage, "ratings.parquet", 13, "image_id", "event \"e9\" rates seed image \"s2\"; only ratings of mimics count", StudyProblemSeverity.Warning);
        Assert.False(result.HasErrors);
        Assert.Equal(1, result.Statistics.SeedImageEvents);
    }

    [Fact]
    public async Task Seed_country_pairs_without_self_report_events_are_errors_naming_the_seeds()
    {
        // s2 keeps only a perceiver event in the US, and s1 loses its only US self_report.
        _study.Ratings.RemoveAll(r => r[0] is "e5" or "e3");
        var result = await Validate();

        var problems = result.Problems.Where(p => p.Kind == StudyProblemKind.IncompleteSeed).ToList();
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.True(p.IsError));
        Assert.Equal(1L, problems[0].Row);
        Assert.Contains("seed \"s1\" has no self_report rating events from US;", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("seed \"s2\" has no self_report rating events from US", problems[1].Message, StringComparison.Ordinal);
        Assert.Equal(["s1", "s2"], result.IncompleteSeeds);
    }

    [Fact]
    public async Task Dropping_incomplete_seeds_turns_the_error_into_a_warning()
    {
        _study.Ratings.RemoveAll(r => r[0] is "e5");
        var result = await Validate(options: new StudyValidationOptions { DropIncompleteSeeds = true });

        Single(result, StudyProblemKind.IncompleteSeed, "images.parquet", 2, null, "dropped from judgments and targets", StudyProblemSeverity.Warning);
        Assert.False(result.HasErrors);
    }

    [Fact]
    public async Task Self_report_from_another_country_than_the_mimic_is_a_warning()
    {
        _study.Images.Add(["m6", "mimic", "s2", "CN", "p6", "images/m6.png"]);
        _study.Ratings.Add(["e10", "p6", "US", "m6", "self_report", "Anger", "5"]);
        var result = await Validate();

        Single(result, StudyProblemKind.SelfReportCountry, "ratings.parquet", 13, "country", "is from US, but mimic \"m6\" was made in CN; it counts for US", StudyProblemSeverity.Warning);
    }

    [Fact]
    public async Task More_than_64_concepts_still_catch_duplicates()
    {
        var concepts = Enumerable.Range(0, 70).Select(k => $"\"K{k}\"");
        _study.Manifest = $$$"""{"name": "wide", "countries": ["CN", "US"], "concepts": ["Anger", "Joy", "Fear", {{{string.Join(", ", concepts)}}}], "languages": {"CN": "zh", "US": "en"}}""";
        _study.Ratings.Add(["e5", "p4", "US", "m4", "self_report", "K69", "1"]);
        _study.Ratings.Add(["e5", "p4", "US", "m4", "self_report", "K69", "2"]);
        var result = await Validate();

        Single(result, StudyProblemKind.DuplicateRating, "ratings.parquet", 14, "concept", "rates concept \"K69\" twice");
    }

    // ---- image files ----

    [Fact]
    public async Task Absolute_image_path()
    {
        _study.Images[_study.ImageRow("m1") - 1][5] = "/etc/passwd";
        var result = await Validate();

        Single(result, StudyProblemKind.PathAbsolute, "images.parquet", 3, "path", "\"/etc/passwd\" is absolute");
    }

    [Fact]
    public async Task Image_path_with_dot_dot()
    {
        _study.Images[_study.ImageRow("m1") - 1][5] = "images/../../outside.png";
        var result = await Validate();

        Single(result, StudyProblemKind.PathParent, "images.parquet", 3, "path", "contains \"..\"");
    }

    [Fact]
    public async Task Symbolic_link_to_a_file_outside_the_folder_is_caught()
    {
        var outside = Path.Combine(_study.Root, "outside.png");
        await File.WriteAllBytesAsync(outside, StudyFolderBuilder.Png(4, 4), Ct);
        _study.SkipImageFiles.Add("images/m1.png");
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        File.CreateSymbolicLink(Path.Combine(_study.Path, "images", "m1.png"), outside);
        var result = await Validate();

        var problem = Single(result, StudyProblemKind.PathEscapes, "images.parquet", 3, "path", "\"images/m1.png\" leaves the study folder through a symbolic link");
        Assert.Contains(outside, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Symbolic_link_to_a_folder_outside_is_caught_and_links_inside_are_fine()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_study.Root, "elsewhere")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(outside, "m2.png"), StudyFolderBuilder.Png(4, 4), Ct);
        Directory.CreateSymbolicLink(Path.Combine(_study.Path, "linked"), outside);
        _study.Images[_study.ImageRow("m2") - 1][5] = "linked/m2.png";
        _study.SkipImageFiles.Add("linked/m2.png");

        // A relative link that stays inside the folder, through a linked folder.
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        await File.WriteAllBytesAsync(Path.Combine(_study.Path, "images", "real.png"), StudyFolderBuilder.Png(4, 4), Ct);
        Directory.CreateSymbolicLink(Path.Combine(_study.Path, "alias"), "images");
        File.CreateSymbolicLink(Path.Combine(_study.Path, "images", "m3.png"), "../alias/real.png");
        _study.SkipImageFiles.Add("images/m3.png");
        var result = await Validate();

        Single(result, StudyProblemKind.PathEscapes, "images.parquet", 4, "path", "\"linked/m2.png\" leaves the study folder");
        Assert.DoesNotContain(result.Problems, p => p.Row == 5);
    }

    [Fact]
    public async Task Missing_image_file()
    {
        _study.SkipImageFiles.Add("images/m4.png");
        var result = await Validate();

        Single(result, StudyProblemKind.ImageMissing, "images.parquet", 6, "path", "\"images/m4.png\" does not exist");
    }

    [Fact]
    public async Task File_that_is_not_an_image_is_unreadable()
    {
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        await File.WriteAllTextAsync(Path.Combine(_study.Path, "images", "m5.png"), "not an image at all", Ct);
        var result = await Validate();

        Single(result, StudyProblemKind.ImageUnreadable, "images.parquet", 7, "path", "\"images/m5.png\" is not a readable image");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Image_over_the_size_limit_is_refused_from_its_header(bool decode)
    {
        // 16,000 x 16,000: a gigabyte to decode, from a file of a few kilobytes.
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        _study.Images[_study.ImageRow("m1") - 1][5] = "images/huge.png";
        await File.WriteAllBytesAsync(Path.Combine(_study.Path, "images", "huge.png"), StudyFolderBuilder.HeaderOnlyPng(16_000, 16_000), Ct);

        var result = await Validate(options: new StudyValidationOptions { DecodeImages = decode });

        Single(result, StudyProblemKind.ImageUnreadable, "images.parquet", 3, "path", "16000 x 16000 is 256 megapixels, over the limit of 100");
    }

    [Fact]
    public async Task A_study_table_with_too_many_columns_is_refused()
    {
        await _study.WriteAsync(csv: true);
        var images = Path.Combine(_study.Path, "images.csv");
        var lines = await File.ReadAllLinesAsync(images, Ct);
        var extra = InputLimits.MaxColumns;
        lines = [.. lines.Select((line, i) => line + string.Concat(Enumerable.Range(0, extra).Select(j => i == 0 ? $",extra{j}" : ",0")))];
        await File.WriteAllLinesAsync(images, lines, Ct);

        var result = await StudyValidator.ValidateAsync(_study.Path, null, null, Ct);

        Single(result, StudyProblemKind.TableUnreadable, "images.csv", null, null, $"columns; the limit is {InputLimits.MaxColumns}");
    }

    [Fact]
    public async Task Truncated_jpeg_is_unreadable()
    {
        var jpeg = StudyFolderBuilder.Jpeg(64, 64);
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        _study.Images[_study.ImageRow("m1") - 1][5] = "images/m1.jpg";
        _study.Images[_study.ImageRow("m2") - 1][5] = "images/m2.jpg";
        await File.WriteAllBytesAsync(Path.Combine(_study.Path, "images", "m1.jpg"), jpeg.AsSpan(0, 20).ToArray(), Ct);
        await File.WriteAllBytesAsync(Path.Combine(_study.Path, "images", "m2.jpg"), jpeg.AsSpan(0, jpeg.Length / 2).ToArray(), Ct);

        var header = await Validate();
        var full = await StudyValidator.ValidateAsync(_study.Path, new StudyValidationOptions { DecodeImages = true }, null, Ct);

        // Cut inside the header: caught by the default header decode. Cut in the pixels: caught by a full decode.
        Single(header, StudyProblemKind.ImageUnreadable, "images.parquet", 3, "path", "\"images/m1.jpg\" is not a readable image");
        var problems = full.Problems.Where(p => p.Kind == StudyProblemKind.ImageUnreadable).ToList();
        Assert.Equal([3L, 4], problems.Select(p => p.Row!.Value));
        Assert.Contains("the file is truncated", problems[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_in_another_format_is_a_warning()
    {
        Directory.CreateDirectory(Path.Combine(_study.Path, "images"));
        using (var bitmap = new SkiaSharp.SKBitmap(4, 4))
        using (var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Webp, 90))
        {
            await File.WriteAllBytesAsync(Path.Combine(_study.Path, "images", "m3.png"), data.ToArray(), Ct);
        }

        var result = await Validate();

        Single(result, StudyProblemKind.ImageFormat, "images.parquet", 5, "path", "is WEBP", StudyProblemSeverity.Warning);
    }

    // ---- reporting ----

    [Fact]
    public async Task Every_problem_is_reported_not_just_the_first()
    {
        _study.Images.Add(["m2", "mimic", "s2", "US", "p9", "images/m2b.png"]);
        _study.Ratings[0][5] = "Rage";
        _study.Ratings[1][6] = "300";
        _study.Ratings.Add(["e11", "r9", "CN", "m99", "perceiver", "Joy", "1"]);
        _study.SkipImageFiles.Add("images/m3.png");
        var result = await Validate();

        Assert.Equal(
            [StudyProblemKind.ImageMissing, StudyProblemKind.DuplicateImageId, StudyProblemKind.UnknownConcept, StudyProblemKind.IntensityOutOfRange, StudyProblemKind.UnknownImage],
            result.Problems.Select(p => p.Kind));
        Assert.Equal(5, result.ErrorCount);
        Assert.Equal(["images.parquet", "images.parquet", "ratings.parquet", "ratings.parquet", "ratings.parquet"], result.Problems.Select(p => p.File));
    }

    [Fact]
    public async Task Printed_problems_are_capped_per_kind_but_all_counted()
    {
        for (var i = 0; i < 30; i++)
        {
            _study.Ratings.Add([$"x{i}", "r1", "CN", "m1", "perceiver", $"Nope{i}", "1"]);
        }

        var result = await Validate(options: new StudyValidationOptions { MaxProblemsPerKind = 5 });

        var kept = result.Problems.Where(p => p.Kind == StudyProblemKind.UnknownConcept).ToList();
        Assert.Equal([13L, 14, 15, 16, 17], kept.Select(p => p.Row!.Value));
        var count = Assert.Single(result.Counts, c => c.Kind == StudyProblemKind.UnknownConcept);
        Assert.Equal((30L, 5), (count.Count, count.Kept));
        Assert.Equal(30, result.ErrorCount);
    }

    [Fact]
    public async Task Problems_print_as_file_row_severity_column_message()
    {
        _study.Ratings[3][5] = "Rage";
        var result = await Validate();

        Assert.Equal("ratings.parquet:4: error: column \"concept\": \"Rage\" is not a concept of study.json", Assert.Single(result.Problems).ToString());
    }

    [Fact]
    public async Task Parallel_image_checks_report_in_row_order()
    {
        for (var i = 0; i < 300; i++)
        {
            _study.Images.Add([$"x{i}", "mimic", "s1", "CN", $"q{i}", $"images/x{i}.png"]);
            _study.SkipImageFiles.Add($"images/x{i}.png");
        }

        var result = await Validate(options: new StudyValidationOptions { MaxParallelism = 8, MaxProblemsPerKind = 10 });

        Assert.Equal(Enumerable.Range(8, 10).Select(r => (long)r), result.Problems.Where(p => p.Kind == StudyProblemKind.ImageMissing).Select(p => p.Row!.Value));
        Assert.Equal(300, result.Counts.Single(c => c.Kind == StudyProblemKind.ImageMissing).Count);
    }
}
