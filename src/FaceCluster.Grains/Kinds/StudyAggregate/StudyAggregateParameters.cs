namespace FaceCluster.Grains;

/// <summary>The parameters of an <c>aggregate</c> run: which study, and how strictly to check it.</summary>
public sealed record StudyAggregateParameters : IRunParameters
{
    /// <summary>The study folder, relative to the data root.</summary>
    public string Study { get; init; } = string.Empty;

    /// <summary>Leave out seeds that lack self_report events in some country instead of refusing the study.</summary>
    public bool DropIncomplete { get; init; }

    /// <summary>Decode every pixel of every image (catches files truncated after their header).</summary>
    public bool Decode { get; init; }

    /// <summary>Every problem, each naming the field.</summary>
    public IReadOnlyList<string> Validate(string dataRoot)
    {
        var errors = new List<string>();
        KindChecks.InputFolder(errors, dataRoot, "study", Study);
        return errors;
    }
}
