namespace FaceCluster.Reports;

/// <summary>One figure of the report, drawn once and kept in both formats it is written in.</summary>
/// <param name="Name">File name without extension (<c>loadings_heatmap</c>): <c>figures/{Name}.png</c> and <c>.svg</c>.</param>
/// <param name="Title">What the report heads it with.</param>
/// <param name="Caption">How to read it, one or two sentences.</param>
/// <param name="Png">The PNG bytes.</param>
/// <param name="Svg">The SVG text.</param>
public sealed record Figure(string Name, string Title, string Caption, byte[] Png, string Svg);
