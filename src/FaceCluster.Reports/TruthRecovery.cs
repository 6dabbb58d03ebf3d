using System.Text.Json.Nodes;
using MathNet.Numerics.Statistics;

namespace FaceCluster.Reports;

/// <summary>A planted dimension of a synthetic study, as <c>truth.json</c> states it.</summary>
/// <param name="Name">Its name (D01, ...).</param>
/// <param name="Universal">Whether it means the same concepts in every country.</param>
/// <param name="Meanings">Per country, the weight of each concept it means there.</param>
public sealed record PlantedDimension(string Name, bool Universal, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Meanings)
{
    /// <summary>The concept with the largest weight in <paramref name="country"/>, or null.</summary>
    public string? TopConcept(string country) =>
        Meanings.TryGetValue(country, out var weights) && weights.Count > 0
            ? weights.OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).First().Key
            : null;
}

/// <summary>How one found dimension compares with the planted dimension it matches.</summary>
/// <param name="Dimension">The found dimension (A, B, ...).</param>
/// <param name="Planted">The planted dimension it matches, or null when none correlates at least <see cref="TruthRecovery.MatchThreshold"/>.</param>
/// <param name="Correlation">Pearson correlation over the attributes of its loadings with the planted meaning weights.</param>
/// <param name="MeaningRecovered">Per country: whether its top concept there is the planted top concept.</param>
/// <param name="FoundShared">The report's call: shared.</param>
/// <param name="PlantedUniversal">The truth: universal (null without a match).</param>
public sealed record DimensionRecovery(
    string Dimension,
    string? Planted,
    double Correlation,
    IReadOnlyDictionary<string, bool> MeaningRecovered,
    bool FoundShared,
    bool? PlantedUniversal)
{
    /// <summary>Whether the shared / culture-specific call agrees with the truth (false without a match).</summary>
    public bool CallAgrees => PlantedUniversal == FoundShared;
}

/// <summary>The recovery of a synthetic study's planted dimensions by a run.</summary>
/// <param name="Found">One entry per found dimension, in label order.</param>
/// <param name="Missed">The planted dimensions no found dimension matches.</param>
/// <param name="Planted">How many were planted.</param>
/// <param name="PlantedUniversal">How many of those are universal.</param>
public sealed record RecoveryResult(IReadOnlyList<DimensionRecovery> Found, IReadOnlyList<string> Missed, int Planted, int PlantedUniversal)
{
    /// <summary>Found dimensions that match a planted one.</summary>
    public int Matched => Found.Count(f => f.Planted is not null);

    /// <summary>Matched dimensions whose call agrees with the truth.</summary>
    public int CallsAgreeing => Found.Count(f => f.CallAgrees);

    /// <summary>(country, dimension) pairs of matched dimensions whose top concept is the planted one, and all such pairs.</summary>
    public (int Recovered, int Total) Meanings => (
        Found.Where(f => f.Planted is not null).Sum(f => f.MeaningRecovered.Count(m => m.Value)),
        Found.Where(f => f.Planted is not null).Sum(f => f.MeaningRecovered.Count));
}

/// <summary>
/// Compares what a run found with what a synthetic study planted (<c>truth.json</c>): each found dimension is matched to
/// the planted dimension whose meaning weights (as a vector over the run's <c>{country}:{concept}</c> attributes, zero
/// where the truth names no weight) correlate most with its rotated loadings; matches are made greedily, highest
/// correlation first, one found dimension per planted one, and only at a correlation of at least
/// <see cref="MatchThreshold"/>. A matched dimension's meaning is recovered in a country when its top concept there is
/// the planted concept of largest weight; its call agrees when it is shared exactly when the planted one is universal.
/// </summary>
public static class TruthRecovery
{
    /// <summary>The least loading correlation that counts as a match.</summary>
    public const double MatchThreshold = 0.5;

    /// <summary>The planted dimensions of a <c>truth.json</c>.</summary>
    /// <exception cref="FormatException">It has no <c>dimensions</c> array of the generator's form.</exception>
    public static IReadOnlyList<PlantedDimension> Planted(JsonObject truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        var dimensions = truth["dimensions"] as JsonArray ?? throw new FormatException("truth.json has no \"dimensions\" array");
        return [.. dimensions.Select((node, i) =>
        {
            var name = node?["name"]?.GetValue<string>() ?? throw new FormatException($"truth.json: dimension {i + 1} has no name");
            var meanings = (node["meanings"] as JsonObject ?? throw new FormatException($"truth.json: dimension {name} has no meanings"))
                .ToDictionary(
                    c => c.Key,
                    c => (IReadOnlyDictionary<string, double>)(c.Value as JsonObject ?? [])
                        .ToDictionary(w => w.Key, w => w.Value!.GetValue<double>(), StringComparer.Ordinal),
                    StringComparer.Ordinal);
            return new PlantedDimension(name, node["universal"]?.GetValue<bool>() ?? false, meanings);
        })];
    }

    /// <summary>Matches the found dimensions of <paramref name="ppca"/> to <paramref name="planted"/>.</summary>
    public static RecoveryResult Compare(PpcaResults ppca, IReadOnlyList<PlantedDimension> planted)
    {
        ArgumentNullException.ThrowIfNull(ppca);
        ArgumentNullException.ThrowIfNull(planted);
        var vectors = planted.Select(dimension => ppca.Attributes.Select(attribute =>
        {
            var colon = attribute.IndexOf(':', StringComparison.Ordinal);
            return colon > 0
                && dimension.Meanings.TryGetValue(attribute[..colon], out var weights)
                && weights.TryGetValue(attribute[(colon + 1)..], out var weight)
                ? weight
                : 0.0;
        }).ToArray()).ToArray();
        var correlations = new double[ppca.Labels.Count, planted.Count];
        for (var d = 0; d < ppca.Labels.Count; d++)
        {
            var loadings = ppca.Loadings.Column(d);
            for (var e = 0; e < planted.Count; e++)
            {
                var r = Correlation.Pearson(loadings, vectors[e]);
                correlations[d, e] = double.IsFinite(r) ? r : double.NegativeInfinity;
            }
        }

        var pairs = Enumerable.Range(0, ppca.Labels.Count)
            .SelectMany(d => Enumerable.Range(0, planted.Count).Select(e => (d, e, r: correlations[d, e])))
            .Where(x => x.r >= MatchThreshold)
            .OrderByDescending(x => x.r).ThenBy(x => x.d).ThenBy(x => x.e);
        var matchOf = new int?[ppca.Labels.Count];
        var taken = new bool[planted.Count];
        foreach (var (d, e, _) in pairs)
        {
            if (matchOf[d] is null && !taken[e])
            {
                matchOf[d] = e;
                taken[e] = true;
            }
        }

        var found = new List<DimensionRecovery>();
        for (var d = 0; d < ppca.Labels.Count; d++)
        {
            var meaning = ppca.Meanings.FirstOrDefault(m => m.Dimension == ppca.Labels[d]);
            var match = matchOf[d] is { } e ? planted[e] : null;
            var recovered = match is null || meaning is null
                ? new Dictionary<string, bool>()
                : meaning.Countries.ToDictionary(c => c.Country, c => c.Top.Count > 0 && c.Top[0].Concept == match.TopConcept(c.Country), StringComparer.Ordinal);
            var best = planted.Count == 0 ? double.NaN : Enumerable.Range(0, planted.Count).Max(x => correlations[d, x]);
            found.Add(new DimensionRecovery(
                ppca.Labels[d],
                match?.Name,
                matchOf[d] is { } m ? correlations[d, m] : best,
                recovered,
                meaning?.Shared ?? false,
                match?.Universal));
        }

        var missed = planted.Where((_, e) => !taken[e]).Select(x => x.Name).ToArray();
        return new RecoveryResult(found, missed, planted.Count, planted.Count(x => x.Universal));
    }
}
