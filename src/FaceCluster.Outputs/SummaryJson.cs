using System.Reflection;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;

namespace FaceCluster.Outputs;

/// <summary>Shared parts of the <c>summary.json</c> files.</summary>
public static class SummaryJson
{
    /// <summary>Preservation across countries (analysis.md section 9), or null.</summary>
    public static JsonObject? Preservation(PreservationResult? preservation, IReadOnlyList<string> labels, IReadOnlyList<string> attributes)
    {
        if (preservation is null)
        {
            return null;
        }

        var perDimension = new JsonObject();
        for (var d = 0; d < labels.Count; d++)
        {
            perDimension[labels[d]] = preservation.PerDimension[d];
        }

        var perCountry = new JsonObject();
        var countries = AttributeGrid.TryParse(attributes, out _)?.Countries ?? [];
        for (var a = 0; a < countries.Count; a++)
        {
            perCountry[countries[a]] = preservation.PerCountry[a];
        }

        return new JsonObject
        {
            ["r"] = preservation.R,
            ["r2"] = preservation.R2,
            ["per_dimension"] = perDimension,
            ["per_country"] = perCountry,
        };
    }

    /// <summary>Versions of FaceCluster and its runtime.</summary>
    public static JsonObject Versions() => new()
    {
        ["facecluster"] = typeof(SummaryJson).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        ["dotnet"] = Environment.Version.ToString(),
        ["mathnet_numerics"] = typeof(MathNet.Numerics.Control).Assembly.GetName().Version?.ToString(),
    };
}
