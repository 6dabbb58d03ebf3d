using FaceCluster.Analysis;
using FaceCluster.Studies;

namespace FaceCluster.Morphs;

/// <summary>The mimics that make one dimension's face in one country.</summary>
/// <param name="Dimension">The dimension's label.</param>
/// <param name="Country">The country whose participants made the mimics.</param>
/// <param name="Seeds">The dimension's selected seeds (the same for every country).</param>
/// <param name="MimicIds">The mimics of those seeds made in <paramref name="Country"/>, in images-table order (empty when there are none).</param>
public sealed record MorphPlanCell(string Dimension, string Country, SeedSelection Seeds, IReadOnlyList<string> MimicIds);

/// <summary>
/// Which images each (dimension, country) morph averages: for every dimension, the seeds of
/// <see cref="MorphSelection.Seeds"/>, and for every country the mimics of those seeds that its participants made.
/// Landmarks and pixels are the caller's: read the crops of <see cref="Wanted"/> (<c>CropSamples.ReadAsync</c>), detect
/// their landmarks, and pass each cell's faces to <see cref="Morph.Compose"/>.
/// </summary>
public static class MorphPlan
{
    /// <summary>
    /// One cell per dimension (in <see cref="RotatedScores.Labels"/> order) and country (in <paramref name="countries"/>
    /// order). Mimics are the images-table rows of kind <c>mimic</c> whose seed is selected and whose country matches
    /// (ordinal comparison); rows without an image id are skipped.
    /// </summary>
    /// <param name="scores">Rotated seed scores; <see cref="RotatedScores.Dnn"/> (<c>Zx</c>) ranks the seeds.</param>
    /// <param name="seedIds">The seeds, one per row of the scores (<c>PpcaResults.SeedIds</c>).</param>
    /// <param name="images">The study's images table rows.</param>
    /// <param name="countries">The countries, one column of the grid each.</param>
    /// <param name="count">How many seeds per ranking (the paper: 5).</param>
    public static IReadOnlyList<MorphPlanCell> Build(
        RotatedScores scores, IReadOnlyList<string> seedIds, IEnumerable<StudyImage> images, IReadOnlyList<string> countries, int count = 5)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(countries);
        // Mimics grouped by (seed, country) once; a paper-size table has about 450,000 rows.
        var mimics = new Dictionary<(string Seed, string Country), List<(long Row, string Id)>>();
        foreach (var image in images)
        {
            if (image is { IsMimic: true, ImageId: { } id, SeedId: { } seed, Country: { } country })
            {
                if (!mimics.TryGetValue((seed, country), out var list))
                {
                    mimics[(seed, country)] = list = [];
                }

                list.Add((image.Row, id));
            }
        }

        var cells = new List<MorphPlanCell>();
        for (var d = 0; d < scores.Labels.Count; d++)
        {
            var selection = MorphSelection.Seeds(scores.Dnn, seedIds, d, count);
            foreach (var country in countries)
            {
                var ids = selection.Seeds
                    .SelectMany(seed => mimics.TryGetValue((seed, country), out var list) ? list : [])
                    .OrderBy(m => m.Row)
                    .Select(m => m.Id)
                    .ToArray();
                cells.Add(new MorphPlanCell(scores.Labels[d], country, selection, ids));
            }
        }

        return cells;
    }

    /// <summary>Every image id the cells need (for <c>CropSamples.ReadAsync</c>'s filter).</summary>
    public static IReadOnlySet<string> Wanted(IEnumerable<MorphPlanCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        return cells.SelectMany(c => c.MimicIds).ToHashSet(StringComparer.Ordinal);
    }
}
