namespace FaceCluster.Learning.Model;

/// <summary>One top-level module of the network.</summary>
/// <param name="Name">Its name (the state-dict prefix).</param>
/// <param name="Type">Its class (<c>BasicConv2d</c>, <c>Sequential</c> of 5 <c>Block35</c>, ...).</param>
/// <param name="Parameters">Parameters (weights and biases; batch-norm running statistics are buffers).</param>
/// <param name="Frozen">Whether it is part of the frozen trunk.</param>
/// <param name="Keys">Its state-dict keys with shapes (<c>conv2d_1a.conv.weight [32, 3, 3, 3]</c>).</param>
public sealed record ModuleDescription(string Name, string Type, long Parameters, bool Frozen, IReadOnlyList<string> Keys);

/// <summary>The modules, parameter counts and state-dict keys of a <see cref="FaceMeaningNet"/>.</summary>
/// <param name="Outputs">Outputs (countries x concepts).</param>
/// <param name="Parameters">All parameters.</param>
/// <param name="TrainableParameters">Parameters trained (block8 and the head).</param>
/// <param name="StateDictEntries">Tensors in the state dict (parameters and buffers).</param>
/// <param name="Modules">The top-level modules in forward order.</param>
public sealed record ModelDescription(int Outputs, long Parameters, long TrainableParameters, int StateDictEntries, IReadOnlyList<ModuleDescription> Modules)
{
    /// <summary>Describes <paramref name="model"/>.</summary>
    public static ModelDescription Of(FaceMeaningNet model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var network = model.Network;
        var state = network.state_dict();
        var modules = new List<ModuleDescription>();
        foreach (var (name, module, frozen) in network.TrunkModules.Select(m => (m.Name, m.Module, true))
            .Concat(network.HeadModules.Select(m => (m.Name, m.Module, false))))
        {
            var children = module.children().ToList();
            var type = module.GetType().Name;
            if (type == "Sequential" && children.Count > 0)
            {
                type = $"Sequential of {children.Count} {children[0].GetType().Name}";
            }

            var keys = state.Where(kv => kv.Key.StartsWith(name + ".", StringComparison.Ordinal))
                .Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]")
                .ToList();
            modules.Add(new ModuleDescription(name, type, module.parameters().Sum(p => p.numel()), frozen, keys));
        }

        return new ModelDescription(
            model.Outputs,
            network.parameters().Sum(p => p.numel()),
            model.TrainableParameters.Sum(p => p.numel()),
            state.Count,
            modules);
    }
}
