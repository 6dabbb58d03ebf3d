using FaceCluster.Tables;

namespace FaceCluster.Studies.Crops;

/// <summary>
/// A crop folder: <c>crops.json</c> and the shards under <c>shards/</c>. Complete when the shards cover every row of
/// the images table exactly once.
/// </summary>
public sealed class CropSet
{
    /// <summary>The shard folder's name inside a crop folder.</summary>
    public const string ShardFolderName = "shards";

    private CropSet(string folder, CropSetManifest manifest, IReadOnlyList<(int Start, int End, string Path)> shards)
    {
        Folder = folder;
        Manifest = manifest;
        Shards = shards;
    }

    /// <summary>The crop folder.</summary>
    public string Folder { get; }

    /// <summary>Its manifest.</summary>
    public CropSetManifest Manifest { get; }

    /// <summary>The finished shards, by row range, in row order.</summary>
    public IReadOnlyList<(int Start, int End, string Path)> Shards { get; }

    /// <summary>Whether the shards cover every image exactly once.</summary>
    public bool IsComplete => MissingRanges().Count == 0;

    /// <summary>The shard folder of <paramref name="folder"/>.</summary>
    public static string ShardFolder(string folder) => Path.Combine(folder, ShardFolderName);

    /// <summary>Opens a crop folder (complete or not).</summary>
    /// <exception cref="InvalidInputException">Not a crop folder, or shards that overlap.</exception>
    public static CropSet Open(string folder)
    {
        var manifest = CropSetManifest.Read(folder);
        var shardFolder = ShardFolder(folder);
        var shards = new List<(int Start, int End, string Path)>();
        if (Directory.Exists(shardFolder))
        {
            foreach (var file in Directory.EnumerateFiles(shardFolder, "crops-*.parquet"))
            {
                if (CropShard.TryParseFileName(file, out var start, out var end))
                {
                    shards.Add((start, end, file));
                }
            }
        }

        shards.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (var i = 1; i < shards.Count; i++)
        {
            if (shards[i].Start < shards[i - 1].End)
            {
                throw new InvalidInputException($"{shards[i].Path}: overlaps {Path.GetFileName(shards[i - 1].Path)}.");
            }
        }

        if (shards.Count > 0 && shards[^1].End > manifest.ImageCount)
        {
            throw new InvalidInputException($"{shards[^1].Path}: ends past the {manifest.ImageCount} images of crops.json.");
        }

        return new CropSet(folder, manifest, shards);
    }

    /// <summary>The row ranges <c>[start, end)</c> no shard covers yet.</summary>
    public IReadOnlyList<(int Start, int End)> MissingRanges()
    {
        var missing = new List<(int, int)>();
        var next = 0;
        foreach (var (start, end, _) in Shards)
        {
            if (start > next)
            {
                missing.Add((next, start));
            }

            next = end;
        }

        if (next < Manifest.ImageCount)
        {
            missing.Add((next, Manifest.ImageCount));
        }

        return missing;
    }

    /// <summary>Reads the records of every shard in row order, one shard in memory at a time.</summary>
    /// <exception cref="InvalidInputException">The set is incomplete (names the first missing range) or a shard is bad.</exception>
    public async IAsyncEnumerable<FaceCropRecord> ReadAllAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var missing = MissingRanges();
        if (missing.Count > 0)
        {
            throw new InvalidInputException(
                $"{Folder}: incomplete: {missing.Count} range(s) of images not cropped, first rows {missing[0].Start}..{missing[0].End - 1}; rerun `facecluster crop`.");
        }

        foreach (var (_, _, path) in Shards)
        {
            foreach (var record in await CropShard.ReadAsync(path, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }

    /// <summary>Reads the records of the shards <paramref name="indices"/> (into <see cref="Shards"/>), in that order.</summary>
    /// <exception cref="InvalidInputException">An index names no shard, or a shard is bad.</exception>
    public async IAsyncEnumerable<FaceCropRecord> ReadShardsAsync(
        IReadOnlyList<int> indices, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(indices);
        foreach (var index in indices)
        {
            if (index < 0 || index >= Shards.Count)
            {
                throw new InvalidInputException($"{Folder}: has {Shards.Count} shard(s), none with index {index}; the crop folder changed during the run");
            }

            foreach (var record in await CropShard.ReadAsync(Shards[index].Path, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }
        }
    }
}
