namespace FaceCluster.Grains;

/// <summary>The output folder an unfinished run holds, kept by the run registry.</summary>
[GenerateSerializer]
[Alias("FaceCluster.OutputClaim")]
public sealed class OutputClaim
{
    /// <summary>The output folder, relative to the data root ('/'-separated, "." for the root itself).</summary>
    [Id(0)]
    public string Output { get; set; } = string.Empty;

    /// <summary>The run whose stage this run is (its outputs lie inside the parent's); null for a top-level run.</summary>
    [Id(1)]
    public string? Parent { get; set; }

    /// <summary>When the run claimed it (a claim whose coordinator never recorded its run is dropped after a while).</summary>
    [Id(2)]
    public DateTimeOffset ClaimedAt { get; set; }
}

/// <summary>
/// The rule that makes an output folder one run's from submission to completion: no two unfinished runs may write the
/// same folder, nor one inside the other (except a stage's run inside its own parent's), and the data root's own folders
/// (run folders, grain state) are never outputs. Pure: the run registry applies it under its single activation, which
/// makes claiming atomic.
/// </summary>
public static class OutputClaims
{
    /// <summary>The data root's folders that belong to the cluster itself.</summary>
    public static IReadOnlyList<string> InternalFolders { get; } = [RunPaths.Runs, FaceClusterStorage.StateFolder];

    /// <summary><paramref name="output"/> in the form claims compare: '/'-separated, no "./" nor trailing '/', "." for the root.</summary>
    public static string Normalize(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parts = output.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        return parts.Length == 0 ? "." : string.Join('/', parts);
    }

    /// <summary>
    /// Why <paramref name="output"/> may not be <paramref name="runId"/>'s output (it is or lies in one of
    /// <see cref="InternalFolders"/>, outside the run's own run folder), or null.
    /// </summary>
    public static string? Internal(string output, string runId)
    {
        var normalized = Normalize(output);
        if (Contains(RunPaths.RunFolder(runId), normalized) && normalized != RunPaths.RunFolder(runId))
        {
            // A run may write inside its own run folder (the command line stages outputs there).
            return null;
        }

        var folder = InternalFolders.FirstOrDefault(f => Contains(f, normalized));
        return folder is null ? null : $"the output folder '{output}' lies in '{folder}', which the cluster keeps for itself";
    }

    /// <summary>
    /// The run whose claim <paramref name="output"/> would overlap (the same folder, or one inside the other), or null
    /// when <paramref name="runId"/> may claim it. A run's own ancestors (through <see cref="OutputClaim.Parent"/>) do not
    /// conflict: a pipeline's stages write inside the pipeline's folder.
    /// </summary>
    /// <param name="runId">The claiming run.</param>
    /// <param name="parent">Its parent run, or null.</param>
    /// <param name="output">Its output folder.</param>
    /// <param name="held">The claims of unfinished runs, by run id.</param>
    public static string? Conflict(string runId, string? parent, string output, IReadOnlyDictionary<string, OutputClaim> held)
    {
        ArgumentNullException.ThrowIfNull(held);
        var ancestors = new HashSet<string>(StringComparer.Ordinal);
        for (var next = parent; next is not null && ancestors.Add(next);)
        {
            next = held.TryGetValue(next, out var claim) ? claim.Parent : null;
        }

        var normalized = Normalize(output);
        foreach (var (holder, claim) in held.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (holder == runId || ancestors.Contains(holder) || IsDescendant(holder, runId, held))
            {
                continue;
            }

            if (Contains(claim.Output, normalized) || Contains(normalized, claim.Output))
            {
                return holder;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="inner"/> is <paramref name="outer"/> or lies inside it (both normalized).</summary>
    private static bool Contains(string outer, string inner) =>
        outer == "." || inner == outer || inner.StartsWith(outer + "/", StringComparison.Ordinal);

    private static bool IsDescendant(string run, string ancestor, IReadOnlyDictionary<string, OutputClaim> held)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var next = held.TryGetValue(run, out var claim) ? claim.Parent : null; next is not null && seen.Add(next);)
        {
            if (next == ancestor)
            {
                return true;
            }

            next = held.TryGetValue(next, out var parent) ? parent.Parent : null;
        }

        return false;
    }
}
