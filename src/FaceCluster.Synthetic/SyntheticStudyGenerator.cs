using System.Diagnostics;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Tables;

namespace FaceCluster.Synthetic;

/// <summary>What <see cref="SyntheticStudyGenerator"/> wrote.</summary>
/// <param name="Folder">The study folder (full path).</param>
/// <param name="Seeds">Seed images.</param>
/// <param name="Mimics">Mimic images.</param>
/// <param name="Events">Rating events.</param>
/// <param name="RatingRows">Rows of <c>ratings.parquet</c> (one per selected concept).</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record SyntheticStudySummary(string Folder, int Seeds, long Mimics, long Events, long RatingRows, TimeSpan Elapsed);

/// <summary>
/// Writes a <see cref="SyntheticStudy"/> as a study folder (study-format.md): <c>study.json</c>, <c>images.parquet</c>,
/// <c>ratings.parquet</c>, the JPEG images under <c>images/</c>, and <c>truth.json</c> (the planted answer). The folder is
/// staged and renamed at the end; tables are streamed in row groups, and images are rendered in parallel in blocks of
/// seeds, so memory stays bounded at any scale. The bytes of every file depend only on the options, not on the
/// number of threads.
/// </summary>
public static class SyntheticStudyGenerator
{
    /// <summary>The generator's version, recorded in <c>truth.json</c>.</summary>
    public const string Version = "1.0.0";

    /// <summary>Seeds per block of parallel work (and the unit of progress).</summary>
    private const int BlockSeeds = 16;

    private const int ImageRowsPerGroup = 50_000;
    private const int RatingRowsPerGroup = 250_000;

    private static readonly string[] ImageColumns =
        ["image_id", "kind", "seed_id", "country", "participant_id", "path", "face_x1", "face_y1", "face_x2", "face_y2"];

    private static readonly Type[] ImageTypes =
        [typeof(string), typeof(string), typeof(string), typeof(string), typeof(string), typeof(string), typeof(double), typeof(double), typeof(double), typeof(double)];

    private static readonly string[] RatingColumns = ["event_id", "rater_id", "country", "image_id", "phase", "concept", "intensity"];

    private static readonly Type[] RatingTypes =
        [typeof(string), typeof(string), typeof(string), typeof(string), typeof(string), typeof(string), typeof(double)];

    /// <summary>
    /// Generates <paramref name="study"/> into <paramref name="outputDirectory"/>; <paramref name="imagesDone"/> is told
    /// after each block how many more images are written.
    /// </summary>
    /// <exception cref="InvalidInputException">The folder exists and <paramref name="overwrite"/> is false.</exception>
    public static async Task<SyntheticStudySummary> GenerateAsync(
        SyntheticStudy study, string outputDirectory, bool overwrite, Action<long>? imagesDone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        using var folder = StagedOutputDirectory.Create(outputDirectory, overwrite);
        return await GenerateAsync(study, folder, imagesDone, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Generates <paramref name="study"/> into the staged <paramref name="folder"/> and commits it (so that a caller can
    /// refuse an existing folder before it starts any other work).
    /// </summary>
    public static async Task<SyntheticStudySummary> GenerateAsync(
        SyntheticStudy study, StagedOutputDirectory folder, Action<long>? imagesDone = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentNullException.ThrowIfNull(folder);
        var watch = Stopwatch.StartNew();
        Directory.CreateDirectory(folder.GetPath(Path.Combine("images", "seeds")));
        Directory.CreateDirectory(folder.GetPath(Path.Combine("images", "mimics")));

        var images = new ImageBuffer(ImageRowsPerGroup);
        var ratings = new RatingBuffer(RatingRowsPerGroup);
        long events = 0;
        await using (var imageWriter = await ParquetRowGroupWriter.CreateAsync(folder.GetPath("images.parquet"), ImageColumns, ImageTypes, cancellationToken).ConfigureAwait(false))
        await using (var ratingWriter = await ParquetRowGroupWriter.CreateAsync(folder.GetPath("ratings.parquet"), RatingColumns, RatingTypes, cancellationToken).ConfigureAwait(false))
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = study.Options.ThreadCount, CancellationToken = cancellationToken };
            for (var first = 0; first < study.SeedCount; first += BlockSeeds)
            {
                var count = Math.Min(BlockSeeds, study.SeedCount - first);
                var block = await Task.Run(() => RenderBlock(study, folder, first, count, parallel), cancellationToken).ConfigureAwait(false);
                foreach (var item in block)
                {
                    images.Add(item.Image);
                    if (images.IsFull)
                    {
                        await images.FlushAsync(imageWriter, cancellationToken).ConfigureAwait(false);
                    }

                    foreach (var ratingEvent in item.Events)
                    {
                        events++;
                        foreach (var rating in ratingEvent.Ratings)
                        {
                            ratings.Add(ratingEvent, study.Concepts[rating.Concept], rating.Intensity);
                            if (ratings.IsFull)
                            {
                                await ratings.FlushAsync(ratingWriter, cancellationToken).ConfigureAwait(false);
                            }
                        }
                    }
                }

                imagesDone?.Invoke(block.Length);
            }

            await images.FlushAsync(imageWriter, cancellationToken).ConfigureAwait(false);
            await ratings.FlushAsync(ratingWriter, cancellationToken).ConfigureAwait(false);
            await imageWriter.CommitAsync(cancellationToken).ConfigureAwait(false);
            await ratingWriter.CommitAsync(cancellationToken).ConfigureAwait(false);
            await AtomicFile.WriteJsonAsync(folder.GetPath("study.json"), Manifest(study), cancellationToken).ConfigureAwait(false);
            await AtomicFile.WriteJsonAsync(folder.GetPath("truth.json"), Truth(study), cancellationToken).ConfigureAwait(false);
            await folder.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new SyntheticStudySummary(folder.TargetPath, study.SeedCount, study.MimicCount, events, ratingWriter.RowCount, watch.Elapsed);
        }
    }

    /// <summary>The contents of <c>study.json</c>.</summary>
    public static JsonObject Manifest(SyntheticStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        var languages = new JsonObject();
        foreach (var country in study.Countries)
        {
            languages[country] = EmotionConcepts.Languages[country];
        }

        return new JsonObject
        {
            ["name"] = study.Options.Name,
            ["countries"] = Strings(study.Countries),
            ["concepts"] = Strings(study.Concepts),
            ["languages"] = languages,
        };
    }

    /// <summary>
    /// The contents of <c>truth.json</c>: the planted dimensions (movement patterns, concepts and weights per country,
    /// which are universal), each seed's activations, the context bias, the generator's parameters and version.
    /// </summary>
    public static JsonObject Truth(SyntheticStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        var options = study.Options;
        var dimensions = new JsonArray();
        foreach (var dimension in study.Dimensions)
        {
            var pattern = new JsonObject();
            for (var m = 0; m < FaceExpression.Count; m++)
            {
                if (dimension.Pattern[m] != 0)
                {
                    pattern[FaceExpression.Names[m]] = Math.Round(dimension.Pattern[m], 4);
                }
            }

            var meanings = new JsonObject();
            foreach (var country in study.Countries)
            {
                var concepts = new JsonObject();
                foreach (var weight in dimension.Meanings[country])
                {
                    concepts[weight.Concept] = weight.Weight;
                }

                meanings[country] = concepts;
            }

            dimensions.Add(new JsonObject
            {
                ["name"] = dimension.Name,
                ["prototype"] = dimension.Prototype,
                ["universal"] = dimension.IsUniversal,
                ["pattern"] = pattern,
                ["meanings"] = meanings,
            });
        }

        var seeds = new JsonArray();
        for (var s = 0; s < study.SeedCount; s++)
        {
            var seed = study.GetSeed(s);
            var activations = new JsonObject();
            for (var d = 0; d < seed.Activations.Count; d++)
            {
                if (seed.Activations[d] != 0)
                {
                    activations[study.Dimensions[d].Name] = Math.Round(seed.Activations[d], 4);
                }
            }

            seeds.Add(new JsonObject
            {
                ["seed_id"] = seed.Id,
                ["activations"] = activations,
                ["context"] = new JsonObject
                {
                    ["background"] = Hex(seed.Context.Background.Colour),
                    ["pattern"] = seed.Context.Background.Pattern.ToString().ToUpperInvariant(),
                    ["clothing"] = Hex(seed.Context.Clothing),
                },
            });
        }

        var contextBias = new JsonObject();
        for (var k = 0; k < SeedContext.FeatureNames.Count; k++)
        {
            var row = new JsonObject();
            for (var j = 0; j < study.Concepts.Count; j++)
            {
                if (study.ContextBias[k][j] != 0)
                {
                    row[study.Concepts[j]] = Math.Round(study.ContextBias[k][j], 4);
                }
            }

            contextBias[SeedContext.FeatureNames[k]] = row;
        }

        return new JsonObject
        {
            ["generator"] = "FaceCluster.Synthetic",
            ["version"] = Version,
            ["random"] = SeededRandom.Description,
            ["parameters"] = new JsonObject
            {
                ["scale"] = options.Scale.ToString().ToUpperInvariant(),
                ["seed"] = options.Seed,
                ["seeds"] = study.SeedCount,
                ["mimics_per_seed"] = study.MimicsPerSeed,
                ["mimics"] = study.MimicCount,
                ["countries"] = Strings(study.Countries),
                ["concepts"] = study.Concepts.Count,
                ["dimensions"] = study.Dimensions.Count,
                ["universal"] = options.Universal,
                ["perceiver_events_per_mimic"] = options.PerceiverEventsPerMimic,
                ["mimics_per_participant"] = options.MimicsPerParticipant,
                ["jpeg_quality"] = options.JpegQuality,
            },
            ["movements"] = Strings(FaceExpression.Names),
            ["dimensions"] = dimensions,
            ["universal_dimensions"] = Strings(study.Dimensions.Where(d => d.IsUniversal).Select(d => d.Name)),
            ["context_features"] = Strings(SeedContext.FeatureNames),
            ["context_bias"] = contextBias,
            ["rating_model"] = "self_report: meaning of the seed's activations in the maker's country + context features x context_bias + maker bias + noise; " +
                "perceiver: meaning of the activations read from the mimic's expression (non-negative matching pursuit over the patterns) + rater bias + noise; " +
                "a concept is selected when its latent value passes 0.3 (intensity 100 x rater scale x value, 1..100), plus rare false alarms; at least one per event",
            ["seeds"] = seeds,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v))];

    private static string Hex(Rgb c) => $"#{c.R:X2}{c.G:X2}{c.B:X2}";

    /// <summary>Renders and writes the images of seeds <c>first..first+count</c> and their mimics, and rates the mimics.</summary>
    private static Item[] RenderBlock(SyntheticStudy study, StagedOutputDirectory folder, int first, int count, ParallelOptions parallel)
    {
        var seeds = new SeedSpec[count];
        Parallel.For(0, count, parallel, s => seeds[s] = study.GetSeed(first + s));
        foreach (var seed in seeds)
        {
            Directory.CreateDirectory(folder.GetPath(Path.Combine("images", "mimics", seed.Id)));
        }

        var perSeed = 1 + study.MimicsPerSeed;
        var items = new Item[count * perSeed];
        var quality = study.Options.JpegQuality;
        Parallel.For(0, items.Length, parallel, i =>
        {
            var seed = seeds[i / perSeed];
            var slot = i % perSeed;
            if (slot == 0)
            {
                var geometry = Write(folder, seed.Path, seed.Scene, quality);
                items[i] = new Item(new ImageRow(seed.Id, "seed", seed.Id, null, null, seed.Path, geometry), []);
            }
            else
            {
                var mimic = study.GetMimic((long)seed.Index * study.MimicsPerSeed + slot - 1, seed);
                var geometry = Write(folder, mimic.Path, mimic.Scene, quality);
                items[i] = new Item(new ImageRow(mimic.Id, "mimic", seed.Id, mimic.Country, mimic.ParticipantId, mimic.Path, geometry), study.Rate(mimic, seed));
            }
        });
        return items;
    }

    private static FaceGeometry Write(StagedOutputDirectory folder, string relativePath, FaceScene scene, int quality)
    {
        File.WriteAllBytes(folder.GetPath(relativePath), FaceRenderer.RenderJpeg(scene, quality));
        return FaceRenderer.Layout(scene);
    }

    private sealed record ImageRow(string ImageId, string Kind, string SeedId, string? Country, string? ParticipantId, string Path, FaceGeometry Geometry);

    private sealed record Item(ImageRow Image, IReadOnlyList<RatingEvent> Events);

    private sealed class ImageBuffer(int capacity)
    {
        private readonly string?[] _imageId = new string?[capacity];
        private readonly string?[] _kind = new string?[capacity];
        private readonly string?[] _seedId = new string?[capacity];
        private readonly string?[] _country = new string?[capacity];
        private readonly string?[] _participant = new string?[capacity];
        private readonly string?[] _path = new string?[capacity];
        private readonly double[] _x1 = new double[capacity];
        private readonly double[] _y1 = new double[capacity];
        private readonly double[] _x2 = new double[capacity];
        private readonly double[] _y2 = new double[capacity];
        private int _count;

        public bool IsFull => _count == capacity;

        public void Add(ImageRow row)
        {
            _imageId[_count] = row.ImageId;
            _kind[_count] = row.Kind;
            _seedId[_count] = row.SeedId;
            _country[_count] = row.Country;
            _participant[_count] = row.ParticipantId;
            _path[_count] = row.Path;
            _x1[_count] = Math.Round(row.Geometry.FaceX1, 2);
            _y1[_count] = Math.Round(row.Geometry.FaceY1, 2);
            _x2[_count] = Math.Round(row.Geometry.FaceX2, 2);
            _y2[_count] = Math.Round(row.Geometry.FaceY2, 2);
            _count++;
        }

        public async Task FlushAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken)
        {
            ParquetColumn[] columns =
            [
                new("image_id", _imageId), new("kind", _kind), new("seed_id", _seedId), new("country", _country),
                new("participant_id", _participant), new("path", _path),
                new("face_x1", _x1), new("face_y1", _y1), new("face_x2", _x2), new("face_y2", _y2),
            ];
            await writer.AppendAsync(columns, _count, cancellationToken).ConfigureAwait(false);
            _count = 0;
        }
    }

    private sealed class RatingBuffer(int capacity)
    {
        private readonly string?[] _eventId = new string?[capacity];
        private readonly string?[] _raterId = new string?[capacity];
        private readonly string?[] _country = new string?[capacity];
        private readonly string?[] _imageId = new string?[capacity];
        private readonly string?[] _phase = new string?[capacity];
        private readonly string?[] _concept = new string?[capacity];
        private readonly double[] _intensity = new double[capacity];
        private int _count;

        public bool IsFull => _count == capacity;

        public void Add(RatingEvent ratingEvent, string concept, double intensity)
        {
            _eventId[_count] = ratingEvent.EventId;
            _raterId[_count] = ratingEvent.RaterId;
            _country[_count] = ratingEvent.Country;
            _imageId[_count] = ratingEvent.ImageId;
            _phase[_count] = ratingEvent.Phase;
            _concept[_count] = concept;
            _intensity[_count] = intensity;
            _count++;
        }

        public async Task FlushAsync(ParquetRowGroupWriter writer, CancellationToken cancellationToken)
        {
            ParquetColumn[] columns =
            [
                new("event_id", _eventId), new("rater_id", _raterId), new("country", _country), new("image_id", _imageId),
                new("phase", _phase), new("concept", _concept), new("intensity", _intensity),
            ];
            await writer.AppendAsync(columns, _count, cancellationToken).ConfigureAwait(false);
            _count = 0;
        }
    }
}
