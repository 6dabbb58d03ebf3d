namespace FaceCluster.Grains;

/// <summary>A run kind's parameter record: it says what is wrong with itself.</summary>
public interface IRunParameters
{
    /// <summary>Every problem, each a sentence naming the field; empty when the run can start.</summary>
    /// <param name="dataRoot">The data root the record's paths are relative to.</param>
    IReadOnlyList<string> Validate(string dataRoot);
}
