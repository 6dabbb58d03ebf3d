using FaceCluster.Tables;

namespace FaceCluster.Studies.Crops;

/// <summary>One face crop picked from a crop set: which image, of which seed, and its pixels.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="Kind"><c>seed</c> or <c>mimic</c>.</param>
/// <param name="SeedId">The seed the image is or imitates.</param>
/// <param name="Pixels">The crop, <c>size x size x 3</c> bytes, HWC RGB.</param>
public sealed record CropSample(string ImageId, string Kind, string SeedId, byte[] Pixels);

/// <summary>
/// Picks a few crops out of a crop set without reading the rest: the identity columns of every row group are read
/// first, and the pixel column only of the row groups that hold a wanted crop (a paper-size set is tens of gigabytes of
/// pixels; a report needs a few hundred faces).
/// </summary>
public static class CropSamples
{
    /// <summary>
    /// The crops (status ok or fallback box) for which <paramref name="wanted"/> (image id, kind, seed id) is true, in
    /// shard and row order.
    /// </summary>
    /// <exception cref="InvalidInputException">A shard is not a crop shard or is damaged.</exception>
    public static async Task<IReadOnlyList<CropSample>> ReadAsync(
        CropSet set, Func<string, string, string, bool> wanted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(wanted);
        var samples = new List<CropSample>();
        foreach (var (_, _, path) in set.Shards)
        {
            var reader = await ParquetStreamingReader.OpenAsync(path, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                foreach (var name in new[] { "image_id", "kind", "seed_id", "status", "pixels" })
                {
                    if (reader.FindColumn(name) is not { IsReadable: true })
                    {
                        throw InvalidInputException.InFile(path, $"not a crop shard: column \"{name}\" is missing");
                    }
                }

                for (var group = 0; group < reader.RowGroupCount; group++)
                {
                    var columns = await reader.ReadRowGroupAsync(group, ["image_id", "kind", "seed_id", "status"], cancellationToken).ConfigureAwait(false);
                    var (ids, kinds, seeds, statuses) = (Strings(columns[0], path), Strings(columns[1], path), Strings(columns[2], path), Strings(columns[3], path));
                    var rows = Enumerable.Range(0, ids.Length)
                        .Where(i => ids[i] is not null && statuses[i] is { } s && CropStatus.HasCrop(s) && wanted(ids[i]!, kinds[i] ?? "", seeds[i] ?? ""))
                        .ToArray();
                    if (rows.Length == 0)
                    {
                        continue;
                    }

                    var pixels = (await reader.ReadColumnAsync(group, "pixels", cancellationToken).ConfigureAwait(false)).Values as byte[]?[]
                        ?? throw InvalidInputException.InFile(path, "not a crop shard: column \"pixels\" does not hold bytes");
                    samples.AddRange(rows.Where(i => pixels[i] is not null).Select(i => new CropSample(ids[i]!, kinds[i] ?? "", seeds[i] ?? "", pixels[i]!)));
                }
            }
        }

        return samples;
    }

    private static string?[] Strings(ParquetColumn column, string path) => column.Values as string?[]
        ?? throw InvalidInputException.InFile(path, $"not a crop shard: column \"{column.Name}\" does not hold text");
}
