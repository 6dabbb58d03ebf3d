using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>
/// The single streaming pass over the ratings table: checks every row and accumulates the <see cref="StudyTallies"/>.
/// </summary>
/// <remarks>
/// <para>Columns are converted as soon as they are decoded, on the decoding threads: countries, phases and concepts to
/// their codes, image ids to the image's index, rater ids to a 64-bit hash, event ids to a 128-bit
/// <see cref="Fingerprint"/> (the id strings are kept for messages). The text of an unknown value is kept only for
/// the rows that have one. A batch of a million rows then takes about 100 MB rather than the 300 MB of its
/// strings, and the sequential part of the pass is left with integer work.</para>
/// <para>Per distinct event it keeps an <see cref="EventRecord"/> (48 bytes): the first row's rater, image, country and
/// phase, to check the event's other rows against, and the concepts seen, to catch a concept rated twice.</para>
/// </remarks>
internal sealed class RatingsPass
{
    private const int EventIdColumn = 0, RaterColumn = 1, CountryColumn = 2, ImageColumn = 3, PhaseColumn = 4, ConceptColumn = 5, IntensityColumn = 6;
    private const int Unknown = -1, Missing = -2;
    private const string SelfReport = RatingRow.SelfReport;
    private const string Perceiver = RatingRow.Perceiver;

    private readonly StudyManifest _manifest;
    private readonly ImageIndex? _images;
    private readonly StudyProblemLog _log;
    private readonly string _file;
    private readonly EventTable _events = new();
    private readonly HashSet<long>? _wideConcepts;
    private readonly int _countries;
    private readonly int _concepts;

    public RatingsPass(StudyManifest manifest, ImageIndex? images, StudyProblemLog log, string file)
    {
        _manifest = manifest;
        _images = images;
        _log = log;
        _file = file;
        _countries = manifest.Countries.Count;
        _concepts = manifest.Concepts.Count;
        if (_concepts > 64)
        {
            _wideConcepts = [];
        }

        if (images is not null)
        {
            Tallies = new StudyTallies([.. images.SeedIds], [.. images.SeedRows], _countries, _concepts);
        }
    }

    /// <summary>The sums and counts, or null without an images table.</summary>
    public StudyTallies? Tallies { get; }

    /// <summary>Whether every row was read.</summary>
    public bool Complete { get; private set; }

    public long Rows { get; private set; }

    public long Events => _events.Count;

    public long SelfReportEvents { get; private set; }

    public long PerceiverEvents { get; private set; }

    public long SeedImageEvents { get; private set; }

    public async Task RunAsync(string path, IStudyProgress? progress, CancellationToken cancellationToken)
    {
        var reader = await TableBatchReader.OpenAsync(path, _file, RatingsReader.Specs, _log, cancellationToken, Convert).ConfigureAwait(false);
        if (reader is null)
        {
            return;
        }

        await using (reader.ConfigureAwait(false))
        {
            var stage = reader.CountsRows ? "ratings (rows)" : "ratings (bytes)";
            progress?.Report(stage, 0, reader.Total);
            try
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } batch)
                {
                    Process(batch);
                    progress?.Report(stage, reader.Completed, reader.Total);
                    ReleaseBatchGarbage(batch.Count);
                }
            }
            catch (InvalidInputException e)
            {
                _log.Error(StudyProblemKind.TableUnreadable, _file, e.Row, e.Column, TableBatchReader.Problem(e, path));
                return;
            }

            progress?.Report(stage, reader.Total, reader.Total);
            Complete = true;
        }
    }

    /// <summary>
    /// After a large batch (a Parquet row group of a quarter million rows or more), collects the garbage its decoding
    /// left: Parquet.Net makes an object per value and large arrays per column, which only full collections reclaim,
    /// and the runtime otherwise lets them pile up to several row groups' worth (more so when other processes starve
    /// its background collector). One blocking collection per row group keeps the pass within about twice its live
    /// memory, for a few percent of its time.
    /// </summary>
    private static void ReleaseBatchGarbage(int rows)
    {
        if (rows >= 1 << 18)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
        }
    }

    /// <summary>Converts a decoded text column (runs on decoding threads; reads shared lookups only).</summary>
    private object Convert(int column, string?[] values, int count) => column switch
    {
        EventIdColumn => EventColumn.Of(values, count),
        RaterColumn => HashColumn.Of(values, count),
        CountryColumn => CodeColumn.Of(values, count, _manifest.IndexOfCountry),
        ImageColumn => _images is null ? CodeColumn.Of(values, count, null) : CodeColumn.Of(values, count, id => _images.ById.GetValueOrDefault(id, Unknown)),
        PhaseColumn => CodeColumn.Of(values, count, phase => phase switch { SelfReport => 0, Perceiver => 1, _ => Unknown }),
        ConceptColumn => CodeColumn.Of(values, count, _manifest.IndexOfConcept),
        _ => throw new ArgumentOutOfRangeException(nameof(column)),
    };

    private void Process(TableBatch batch)
    {
        HashSet<int>? malformed = null;
        foreach (var (index, message) in batch.Malformed ?? [])
        {
            Report(StudyProblemKind.FieldCount, StudyProblemSeverity.Error, batch.FirstRow + index, null, message);
            (malformed ??= []).Add(index);
        }

        var events = (EventColumn)batch.Columns[EventIdColumn]!;
        var raters = (HashColumn)batch.Columns[RaterColumn]!;
        var countries = (CodeColumn)batch.Columns[CountryColumn]!;
        var images = (CodeColumn)batch.Columns[ImageColumn]!;
        var phases = (CodeColumn)batch.Columns[PhaseColumn]!;
        var concepts = (CodeColumn)batch.Columns[ConceptColumn]!;
        var intensity = batch.Number(IntensityColumn)!;
        for (var i = 0; i < batch.Count; i++)
        {
            Rows++;
            if (malformed?.Contains(i) == true)
            {
                continue;
            }

            var row = batch.FirstRow + i;
            var valid = true;
            valid &= Present(row, events.Ids[i] is not null, "event_id");
            valid &= Present(row, !raters.IsMissing(i), "rater_id");
            valid &= Check(row, countries, i, "country", StudyProblemKind.UnknownCountry, text => $"\"{text}\" is not a country of study.json");
            valid &= Present(row, images.Codes[i] != Missing, "image_id");
            valid &= Check(row, phases, i, "phase", StudyProblemKind.InvalidPhase, text => $"\"{text}\" is not a phase; use self_report or perceiver");
            valid &= Check(row, concepts, i, "concept", StudyProblemKind.UnknownConcept, text => $"\"{text}\" is not a concept of study.json");
            valid &= CheckIntensity(row, intensity, i);
            if (events.Ids[i] is { } eventId)
            {
                ProcessEvent(row, eventId, events.High[i], events.Low[i], raters, images, countries.Codes[i], phases.Codes[i], concepts, i, intensity.Values[i], valid);
            }
        }
    }

    private void ProcessEvent(
        long row, string eventId, ulong high, ulong low, HashColumn raters, CodeColumn images, int country, int phase,
        CodeColumn concepts, int i, double intensity, bool valid)
    {
        var image = images.Codes[i];
        ref var record = ref _events.GetOrAdd(high, low, out var added, out var index);
        if (added)
        {
            record.FirstRow = row;
            record.Image = image;
            record.RaterHash = raters.Hash[i];
            record.Country = (short)Math.Max(country, Unknown);
            record.Phase = (sbyte)Math.Max(phase, Unknown);
            record.Counted = FirstRowOfEvent(row, eventId, images, i, record.Country, record.Phase);
        }
        else
        {
            valid &= CheckConsistent(ref record, row, eventId, raters, i, images, country, phase);
        }

        var concept = concepts.Codes[i];
        if (concept >= 0)
        {
            var seen = _wideConcepts is null
                ? (record.Concepts & (1UL << concept)) != 0
                : !_wideConcepts.Add(((long)index * _concepts) + concept);
            if (seen)
            {
                valid = false;
                if (!_log.CountIfFull(StudyProblemKind.DuplicateRating, StudyProblemSeverity.Error))
                {
                    Report(StudyProblemKind.DuplicateRating, StudyProblemSeverity.Error, row, "concept", $"event \"{eventId}\" rates concept \"{_manifest.Concepts[concept]}\" twice (the event starts in row {record.FirstRow})");
                }
            }
            else if (_wideConcepts is null)
            {
                record.Concepts |= 1UL << concept;
            }
        }

        if (valid && record.Counted)
        {
            var cell = (_images!.SeedOf[record.Image] * _countries) + record.Country;
            var at = ((long)cell * _concepts) + concept;
            Tallies!.AllSums[at] += intensity;
            if (record.Phase == 0)
            {
                Tallies.SelfSums[at] += intensity;
            }
        }
    }

    /// <summary>Checks what only the first row of an event needs to; returns whether the event counts towards its (seed, country).</summary>
    private bool FirstRowOfEvent(long row, string eventId, CodeColumn images, int i, int country, int phase)
    {
        var image = images.Codes[i];
        if (_images is null || image == Missing)
        {
            return false;
        }

        if (image == Unknown)
        {
            if (!_log.CountIfFull(StudyProblemKind.UnknownImage, StudyProblemSeverity.Error))
            {
                Report(StudyProblemKind.UnknownImage, StudyProblemSeverity.Error, row, "image_id", $"event \"{eventId}\" rates image \"{images.TextOf(i)}\", which is not in the images table");
            }

            return false;
        }

        switch (_images.Kind[image])
        {
            case ImageIndex.Seed:
                SeedImageEvents++;
                if (!_log.CountIfFull(StudyProblemKind.RatedSeedImage, StudyProblemSeverity.Warning))
                {
                    Report(StudyProblemKind.RatedSeedImage, StudyProblemSeverity.Warning, row, "image_id", $"event \"{eventId}\" rates seed image \"{_images.Ids[image]}\"; only ratings of mimics count, so it is ignored");
                }

                return false;
            case ImageIndex.Mimic:
                break;
            default:
                return false;
        }

        var mimicCountry = _images.CountryOf[image];
        if (phase == 0 && country >= 0 && mimicCountry >= 0 && mimicCountry != country
            && !_log.CountIfFull(StudyProblemKind.SelfReportCountry, StudyProblemSeverity.Warning))
        {
            Report(
                StudyProblemKind.SelfReportCountry, StudyProblemSeverity.Warning, row, "country",
                $"self_report event \"{eventId}\" is from {_manifest.Countries[country]}, but mimic \"{_images.Ids[image]}\" was made in {_manifest.Countries[mimicCountry]}; it counts for {_manifest.Countries[country]} (the rater's country)");
        }

        if (country < 0 || phase < 0 || _images.SeedOf[image] < 0)
        {
            return false;
        }

        var cell = (_images.SeedOf[image] * _countries) + country;
        Tallies!.AllEvents[cell]++;
        if (phase == 0)
        {
            Tallies.SelfEvents[cell]++;
            SelfReportEvents++;
        }
        else
        {
            PerceiverEvents++;
        }

        return true;
    }

    private bool CheckConsistent(ref EventRecord record, long row, string eventId, HashColumn raters, int i, CodeColumn images, int country, int phase)
    {
        var raterDiffers = !raters.IsMissing(i) && raters.Hash[i] != record.RaterHash;
        var image = images.Codes[i];
        var imageDiffers = image != Missing && (image != record.Image || image == Unknown);
        var countryDiffers = country != Missing && Math.Max(country, Unknown) != record.Country;
        var phaseDiffers = phase != Missing && Math.Max(phase, Unknown) != record.Phase;
        if (image == Unknown && record.Image == Unknown)
        {
            // Both rows name images that are not in the table (already reported); whether they are the same is unknown.
            imageDiffers = false;
        }

        if (!(raterDiffers || imageDiffers || countryDiffers || phaseDiffers))
        {
            return true;
        }

        if (_log.CountIfFull(StudyProblemKind.InconsistentEvent, StudyProblemSeverity.Error))
        {
            return false;
        }

        var differences = new List<string>(4);
        if (raterDiffers)
        {
            differences.Add("another rater_id");
        }

        if (imageDiffers)
        {
            differences.Add($"image_id \"{(image >= 0 ? _images?.Ids[image] : images.TextOf(i))}\"");
        }

        if (countryDiffers)
        {
            differences.Add($"country \"{(country >= 0 ? _manifest.Countries[country] : "?")}\"");
        }

        if (phaseDiffers)
        {
            differences.Add($"phase \"{(phase == 0 ? SelfReport : phase == 1 ? Perceiver : "?")}\"");
        }

        Report(
            StudyProblemKind.InconsistentEvent, StudyProblemSeverity.Error, row, null,
            $"event \"{eventId}\" has {string.Join(", ", differences)} here, unlike its first row (row {record.FirstRow}); every row of an event must name the same rater, image, country and phase");
        return false;
    }

    private bool CheckIntensity(long row, NumberColumn intensity, int i)
    {
        switch (intensity.States[i])
        {
            case NumberState.Missing:
                return Present(row, false, "intensity");
            case NumberState.NotNumber:
                if (!_log.CountIfFull(StudyProblemKind.IntensityNotNumber, StudyProblemSeverity.Error))
                {
                    Report(StudyProblemKind.IntensityNotNumber, StudyProblemSeverity.Error, row, "intensity", $"\"{intensity.Texts![i]}\" is not a number");
                }

                return false;
            default:
                var value = intensity.Values[i];
                if (value >= 0 && value <= 100)
                {
                    return true;
                }

                if (!_log.CountIfFull(StudyProblemKind.IntensityOutOfRange, StudyProblemSeverity.Error))
                {
                    Report(StudyProblemKind.IntensityOutOfRange, StudyProblemSeverity.Error, row, "intensity", $"{InvariantText.Format(value)} is outside 0..100");
                }

                return false;
        }
    }

    /// <summary>Reports a missing or unknown code; returns whether the code is valid.</summary>
    private bool Check(long row, CodeColumn column, int i, string name, StudyProblemKind unknownKind, Func<string, string> message)
    {
        var code = column.Codes[i];
        if (code >= 0)
        {
            return true;
        }

        if (code == Missing)
        {
            return Present(row, false, name);
        }

        if (!_log.CountIfFull(unknownKind, StudyProblemSeverity.Error))
        {
            Report(unknownKind, StudyProblemSeverity.Error, row, name, message(column.TextOf(i)));
        }

        return false;
    }

    private bool Present(long row, bool present, string column)
    {
        if (present)
        {
            return true;
        }

        if (!_log.CountIfFull(StudyProblemKind.MissingValue, StudyProblemSeverity.Error))
        {
            Report(StudyProblemKind.MissingValue, StudyProblemSeverity.Error, row, column, $"missing {column}");
        }

        return false;
    }

    private void Report(StudyProblemKind kind, StudyProblemSeverity severity, long row, string? column, string message) =>
        _log.Add(new StudyProblem(severity, kind, _file, row, column, message));

    /// <summary>Event ids, kept for messages, with their fingerprints.</summary>
    private sealed class EventColumn
    {
        private EventColumn(string?[] ids, int count)
        {
            Ids = ids;
            High = new ulong[count];
            Low = new ulong[count];
        }

        public string?[] Ids { get; }

        public ulong[] High { get; }

        public ulong[] Low { get; }

        public static EventColumn Of(string?[] values, int count)
        {
            var column = new EventColumn(values, count);
            for (var i = 0; i < count; i++)
            {
                if (values[i] is { } id)
                {
                    (column.High[i], column.Low[i]) = Fingerprint.Of(id);
                }
            }

            return column;
        }
    }

    /// <summary>64-bit hashes of a text column (its strings dropped).</summary>
    private sealed class HashColumn
    {
        private HashColumn(int count)
        {
            Hash = new ulong[count];
        }

        public ulong[] Hash { get; }

        private bool[]? MissingRows { get; set; }

        public bool IsMissing(int i) => MissingRows?[i] == true;

        public static HashColumn Of(string?[] values, int count)
        {
            var column = new HashColumn(count);
            for (var i = 0; i < count; i++)
            {
                if (values[i] is { } text)
                {
                    column.Hash[i] = Fingerprint.Hash64(text);
                }
                else
                {
                    (column.MissingRows ??= new bool[count])[i] = true;
                }
            }

            return column;
        }
    }

    /// <summary>Codes of a text column: an index (0 or more), <see cref="Unknown"/> (text kept) or <see cref="Missing"/>.</summary>
    private sealed class CodeColumn
    {
        private CodeColumn(int count)
        {
            Codes = new int[count];
        }

        public int[] Codes { get; }

        private Dictionary<int, string>? UnknownText { get; set; }

        public string TextOf(int i) => UnknownText?.GetValueOrDefault(i) ?? "?";

        /// <summary>Codes <paramref name="values"/> with <paramref name="lookup"/> (-1 for unknown); without a lookup every present value is unknown and its text dropped.</summary>
        public static CodeColumn Of(string?[] values, int count, Func<string, int>? lookup)
        {
            var column = new CodeColumn(count);
            for (var i = 0; i < count; i++)
            {
                if (values[i] is not { } text)
                {
                    column.Codes[i] = Missing;
                    continue;
                }

                var code = lookup?.Invoke(text) ?? Unknown;
                column.Codes[i] = code;
                if (code < 0 && lookup is not null)
                {
                    (column.UnknownText ??= [])[i] = text;
                }
            }

            return column;
        }
    }
}
