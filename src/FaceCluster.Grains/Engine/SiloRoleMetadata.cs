namespace FaceCluster.Grains;

/// <summary>The silo metadata that says a silo's role (the hosting layer writes it; the scheduler reads it).</summary>
public static class SiloRoleMetadata
{
    /// <summary>The silo metadata key of the role.</summary>
    public const string Key = "facecluster.role";

    /// <summary>A silo without accelerator.</summary>
    public const string Cpu = "cpu";

    /// <summary>A silo with an accelerator (work placed with <see cref="StagePlacement.PreferGpu"/> goes there).</summary>
    public const string Gpu = "gpu";
}
