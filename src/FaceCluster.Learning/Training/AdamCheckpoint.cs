using System.Globalization;
using FaceCluster.Torch.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Training;

/// <summary>
/// Adam's state as PyTorch's <c>torch.optim.Adam.state_dict()</c>, so that a checkpoint's <c>optimizer.pt</c> loads with
/// <c>torch.load(..., weights_only=True)</c> and <c>optimizer.load_state_dict(...)</c> in PyTorch as well as here:
/// <c>{"state": {i: {"step": tensor(float), "exp_avg": m, "exp_avg_sq": v}}, "param_groups": [{"lr", "betas", "eps",
/// "weight_decay", "amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused", "decoupled_weight_decay",
/// "initial_lr", "params": [0 .. n-1]}]}</c>, parameters numbered in the optimizer's order (the model's trainable
/// parameters).
/// </summary>
public static class AdamCheckpoint
{
    /// <summary>The file name inside a checkpoint folder.</summary>
    public const string FileName = "optimizer.pt";

    /// <summary>Writes <paramref name="optimizer"/>'s state to <paramref name="path"/> (temporary file, then rename).</summary>
    /// <param name="optimizer">The optimizer (one parameter group).</param>
    /// <param name="initialLearningRate">The learning rate StepLR starts from (PyTorch's <c>initial_lr</c>).</param>
    /// <param name="path">The file to write.</param>
    public static void Save(Adam optimizer, double initialLearningRate, string path)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var dictionary = optimizer.state_dict();
        var group = (Adam.Options)dictionary.Options.Single();
        using var scope = NewDisposeScope();
        var states = new PythonDict();
        for (var i = 0; i < dictionary.State.Count; i++)
        {
            var state = (Adam.State)dictionary.State[i];
            var entry = new PythonDict
            {
                { "step", tensor((float)state.step) },
                { "exp_avg", state.exp_avg },
                { "exp_avg_sq", state.exp_avg_sq },
            };
            if (state.max_exp_avg_sq is { } max)
            {
                entry.Add("max_exp_avg_sq", max);
            }

            states.Add(i, entry);
        }

        var groups = new List<object?>
        {
            new PythonDict
            {
                { "lr", group.LearningRate!.Value },
                { "betas", new PythonTuple(group.beta1!.Value, group.beta2!.Value) },
                { "eps", group.eps!.Value },
                { "weight_decay", group.weight_decay!.Value },
                { "amsgrad", group.amsgrad!.Value },
                { "maximize", group.maximize!.Value },
                { "foreach", null },
                { "capturable", false },
                { "differentiable", false },
                { "fused", null },
                { "decoupled_weight_decay", false },
                { "initial_lr", initialLearningRate },
                { "params", Enumerable.Range(0, dictionary.State.Count).Select(i => (object?)(long)i).ToList() },
            },
        };
        PyTorchCheckpoint.SaveObject(new PythonDict { { "state", states }, { "param_groups", groups } }, path);
    }

    /// <summary>Loads the state in <paramref name="path"/> into <paramref name="optimizer"/>, checking every tensor's shape.</summary>
    /// <exception cref="InvalidDataException">The file does not hold this optimizer's state; the message names what differs.</exception>
    public static void Load(Adam optimizer, string path)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        using var saved = PyTorchCheckpoint.Read(path);
        var states = optimizer.state_dict().State;
        var expected = states.Count * 3;
        var found = saved.Keys.Count(k => k.StartsWith("state.", StringComparison.Ordinal) && !k.EndsWith(".max_exp_avg_sq", StringComparison.Ordinal));
        if (found != expected)
        {
            throw new InvalidDataException($"{path}: {found} step/exp_avg/exp_avg_sq tensors for an optimizer of {states.Count} parameters (expected {expected})");
        }

        using var noGrad = no_grad();
        for (var i = 0; i < states.Count; i++)
        {
            var state = (Adam.State)states[i];
            var prefix = string.Create(CultureInfo.InvariantCulture, $"state.{i}.");
            state.step = (long)Math.Round(Entry(saved, prefix + "step", path).item<float>());
            Copy(state.exp_avg, Entry(saved, prefix + "exp_avg", path), prefix + "exp_avg", path);
            Copy(state.exp_avg_sq, Entry(saved, prefix + "exp_avg_sq", path), prefix + "exp_avg_sq", path);
            if (state.max_exp_avg_sq is { } max)
            {
                Copy(max, Entry(saved, prefix + "max_exp_avg_sq", path), prefix + "max_exp_avg_sq", path);
            }
        }
    }

    private static Tensor Entry(StateDict saved, string key, string path) =>
        saved.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{path}: no '{key}'");

    private static void Copy(Tensor target, Tensor source, string key, string path)
    {
        if (!target.shape.SequenceEqual(source.shape))
        {
            throw new InvalidDataException($"{path}: '{key}' is [{string.Join(",", source.shape)}], the parameter is [{string.Join(",", target.shape)}]");
        }

        target.copy_(source);
    }
}
