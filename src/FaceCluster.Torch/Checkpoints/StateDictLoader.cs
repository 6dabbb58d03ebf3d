using TorchSharp;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>How checkpoint names map onto a module's names in <see cref="StateDictLoader.LoadStrict"/>.</summary>
public sealed record StateDictLoadOptions
{
    /// <summary>
    /// Renames applied to checkpoint keys, first match wins: a key starting with <c>Key</c> has that prefix replaced
    /// by <c>Value</c>. ("", "backbone.") loads a backbone checkpoint into a submodule; ("module.", "") strips
    /// DataParallel's prefix.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> PrefixMap { get; init; } = [];

    /// <summary>
    /// Checkpoint keys (before renaming) that are not loaded and not reported as unexpected: exact names, or
    /// prefixes ending in <c>*</c> (<c>logits.*</c> for a classifier the model does not have).
    /// </summary>
    public IReadOnlyList<string> IgnoreCheckpointKeys { get; init; } = [];

    /// <summary>
    /// Module keys that may stay as initialised and are not reported as missing: exact names or prefixes ending in
    /// <c>*</c> (a new head when loading only a backbone).
    /// </summary>
    public IReadOnlyList<string> IgnoreModuleKeys { get; init; } = [];
}

/// <summary>Copies a <see cref="StateDict"/> into a TorchSharp module, strictly.</summary>
public static class StateDictLoader
{
    /// <summary>
    /// Copies every tensor of <paramref name="stateDict"/> into the module's parameter or buffer of the same name
    /// (after <see cref="StateDictLoadOptions.PrefixMap"/>), converted to the module's dtype and device, without
    /// recording gradients. Nothing is copied unless every module key has a tensor of the right shape and every
    /// checkpoint key a place.
    /// </summary>
    /// <exception cref="CheckpointFormatException">
    /// One exception naming the checkpoint and listing all missing keys, unexpected keys and shape mismatches.
    /// </exception>
    public static void LoadStrict(torch.nn.Module module, StateDict stateDict, StateDictLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        options ??= new StateDictLoadOptions();
        var source = stateDict.Source is null ? "state dict" : Path.GetFileName(stateDict.Source);

        var targets = module.state_dict();
        var assignments = new List<(string ModuleKey, torch.Tensor Source, torch.Tensor Target)>();
        var unexpected = new List<string>();
        var mismatches = new List<string>();
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, tensor) in stateDict)
        {
            if (Matches(key, options.IgnoreCheckpointKeys))
            {
                continue;
            }

            var moduleKey = Rename(key, options.PrefixMap);
            if (!targets.TryGetValue(moduleKey, out var target))
            {
                unexpected.Add(moduleKey == key ? key : $"{key} (as {moduleKey})");
                continue;
            }

            if (!loaded.Add(moduleKey))
            {
                mismatches.Add($"{moduleKey} is given twice in the file (after renaming)");
                continue;
            }

            if (!tensor.shape.SequenceEqual(target.shape))
            {
                mismatches.Add($"{moduleKey} is {Shape(tensor)} in the file, {Shape(target)} in the module");
                continue;
            }

            assignments.Add((moduleKey, tensor, target));
        }

        var missing = targets.Keys.Where(k => !loaded.Contains(k) && !Matches(k, options.IgnoreModuleKeys)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || mismatches.Count > 0)
        {
            var problems = new List<string>();
            if (missing.Count > 0)
            {
                problems.Add("missing keys: " + string.Join(", ", missing));
            }

            if (unexpected.Count > 0)
            {
                problems.Add("unexpected keys: " + string.Join(", ", unexpected));
            }

            if (mismatches.Count > 0)
            {
                problems.Add("shape mismatch: " + string.Join(", ", mismatches));
            }

            var message = $"{source} does not fit {module.GetName()}: {string.Join("; ", problems)}";
            throw stateDict.Source is null ? new CheckpointFormatException(message) : new CheckpointFormatException(stateDict.Source, message);
        }

        using (torch.no_grad())
        {
            foreach (var (_, tensor, target) in assignments)
            {
                // copy_ converts dtype and device, and writes into the module's own storage (parameters stay registered).
                target.copy_(tensor);
            }
        }
    }

    private static string Rename(string key, IReadOnlyList<KeyValuePair<string, string>> prefixMap)
    {
        foreach (var (from, to) in prefixMap)
        {
            if (key.StartsWith(from, StringComparison.Ordinal))
            {
                return to + key[from.Length..];
            }
        }

        return key;
    }

    private static bool Matches(string key, IReadOnlyList<string> patterns) =>
        patterns.Any(p => p.EndsWith('*') ? key.StartsWith(p[..^1], StringComparison.Ordinal) : key == p);

    private static string Shape(torch.Tensor tensor) => "[" + string.Join(",", tensor.shape) + "]";
}
