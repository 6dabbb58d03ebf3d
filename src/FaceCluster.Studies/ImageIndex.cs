namespace FaceCluster.Studies;

/// <summary>The images table as the ratings pass needs it: ids to rows, kinds, seeds and countries.</summary>
internal sealed class ImageIndex
{
    public const byte Seed = 0;
    public const byte Mimic = 1;
    public const byte Invalid = 2;

    private ImageIndex(int count)
    {
        Ids = new string?[count];
        Kind = new byte[count];
        SeedOf = new int[count];
        CountryOf = new short[count];
    }

    public Dictionary<string, int> ById { get; } = new(StringComparer.Ordinal);

    /// <summary>The image id of each row of the images table (null when missing).</summary>
    public string?[] Ids { get; }

    /// <summary>Per image: <see cref="Seed"/>, <see cref="Mimic"/> or <see cref="Invalid"/>.</summary>
    public byte[] Kind { get; }

    /// <summary>Per image: the ordinal of its seed among the seeds (for a seed, its own), or -1.</summary>
    public int[] SeedOf { get; }

    /// <summary>Per mimic: the index of its maker's country, or -1.</summary>
    public short[] CountryOf { get; }

    public List<string> SeedIds { get; } = [];

    public List<long> SeedRows { get; } = [];

    public long MimicCount { get; private set; }

    public static ImageIndex Build(StudyImageTable table, StudyManifest? manifest, StudyProblemLog log)
    {
        var file = table.File;
        var rows = table.Images;
        var index = new ImageIndex(rows.Count);
        var seedOrdinal = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < rows.Count; i++)
        {
            var image = rows[i];
            index.Ids[i] = image.ImageId;
            index.Kind[i] = Invalid;
            index.SeedOf[i] = -1;
            index.CountryOf[i] = -1;
            if (image.ImageId is null)
            {
                log.Error(StudyProblemKind.MissingValue, file, image.Row, "image_id", "missing image id");
            }
            else if (!index.ById.TryAdd(image.ImageId, i))
            {
                log.Error(StudyProblemKind.DuplicateImageId, file, image.Row, "image_id", $"image id \"{image.ImageId}\" appears twice (first in row {rows[index.ById[image.ImageId]].Row})");
                continue;
            }

            if (image.Path is null)
            {
                log.Error(StudyProblemKind.MissingValue, file, image.Row, "path", "missing image path");
            }

            if (image.SeedId is null)
            {
                log.Error(StudyProblemKind.MissingValue, file, image.Row, "seed_id", "missing seed id");
            }

            switch (image.Kind)
            {
                case null:
                    log.Error(StudyProblemKind.MissingValue, file, image.Row, "kind", "missing kind (seed or mimic)");
                    break;
                case StudyImage.SeedKind:
                    if (image.SeedId is not null && image.SeedId != image.ImageId)
                    {
                        log.Error(StudyProblemKind.SeedIdMismatch, file, image.Row, "seed_id", $"seed row has seed_id \"{image.SeedId}\" but image_id \"{image.ImageId}\"; a seed's seed_id is its own image_id");
                    }
                    else if (image.ImageId is not null && seedOrdinal.TryAdd(image.ImageId, index.SeedIds.Count))
                    {
                        index.Kind[i] = Seed;
                        index.SeedOf[i] = index.SeedIds.Count;
                        index.SeedIds.Add(image.ImageId);
                        index.SeedRows.Add(image.Row);
                    }

                    break;
                case StudyImage.MimicKind:
                    index.Kind[i] = Mimic;
                    index.MimicCount++;
                    CheckMimic(image, i, index, manifest, file, log);
                    break;
                default:
                    log.Error(StudyProblemKind.InvalidKind, file, image.Row, "kind", $"\"{image.Kind}\" is not a kind; use seed or mimic");
                    break;
            }
        }

        var imitated = new bool[index.SeedIds.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            if (index.Kind[i] != Mimic || rows[i].SeedId is not { } seedId)
            {
                continue;
            }

            if (seedOrdinal.TryGetValue(seedId, out var seed))
            {
                index.SeedOf[i] = seed;
                imitated[seed] = true;
            }
            else
            {
                var why = index.ById.TryGetValue(seedId, out var other) && rows[other].Kind != StudyImage.SeedKind
                    ? $"image \"{seedId}\" (row {rows[other].Row}) is not of kind seed"
                    : "there is no seed image with that id";
                log.Error(StudyProblemKind.MissingSeed, file, rows[i].Row, "seed_id", $"mimic \"{rows[i].ImageId}\" imitates seed \"{seedId}\", but {why}");
            }
        }

        for (var s = 0; s < imitated.Length; s++)
        {
            if (!imitated[s])
            {
                log.Warning(StudyProblemKind.SeedWithoutMimics, file, index.SeedRows[s], null, $"seed \"{index.SeedIds[s]}\" has no mimics, so nobody rated it");
            }
        }

        if (index.SeedIds.Count == 0)
        {
            log.Error(StudyProblemKind.NoSeeds, file, null, null, "the images table has no (valid) seed images");
        }

        return index;
    }

    private static void CheckMimic(StudyImage image, int i, ImageIndex index, StudyManifest? manifest, string file, StudyProblemLog log)
    {
        if (image.Country is null)
        {
            log.Error(StudyProblemKind.MissingValue, file, image.Row, "country", "missing country of the mimic's maker");
        }
        else if (manifest is not null)
        {
            var country = manifest.IndexOfCountry(image.Country);
            if (country < 0)
            {
                log.Error(StudyProblemKind.UnknownCountry, file, image.Row, "country", $"\"{image.Country}\" is not a country of study.json ({string.Join(", ", manifest.Countries)})");
            }

            index.CountryOf[i] = (short)country;
        }

        if (image.ParticipantId is null)
        {
            log.Warning(StudyProblemKind.MissingValue, file, image.Row, "participant_id", "missing participant id of the mimic's maker");
        }
    }
}
