namespace FaceCluster.Grains;

/// <summary>
/// What a researcher submits: the run's kind (a name the silos' run-kind registry knows: <c>ppca</c>, <c>gppca</c>,
/// <c>aggregate</c>, <c>crop</c>, <c>train</c>, <c>predict</c>, <c>pipeline</c>, ...), its output folder and the kind's own
/// parameters. Paths are relative to the cluster's data root (the store every silo mounts); runs never receive
/// matrices or images in messages.
/// </summary>
/// <param name="Kind">The run kind.</param>
/// <param name="OutputPath">The output folder, relative to the data root.</param>
/// <param name="Parameters">
/// The kind's typed parameters as JSON (snake_case): each kind reads them into its own record and validates them, so
/// clients that do not know a kind (the HTTP API) pass them through unchanged.
/// </param>
/// <param name="Parent">The run whose stage this run is (set by the coordinator that starts it), told when it ends; null for
/// a run submitted by a client.</param>
/// <param name="Submitter">The name of the API token that submitted the run (it, or an admin token, may cancel it); null
/// for runs started by the command line or an embedded cluster, and for child runs.</param>
[GenerateSerializer]
[Immutable]
[Alias("FaceCluster.RunRequest")]
public sealed record RunRequest(
    [property: Id(0)] string Kind,
    [property: Id(1)] string OutputPath,
    [property: Id(2)] string Parameters,
    [property: Id(3)] string? Parent = null,
    [property: Id(4)] string? Submitter = null);
