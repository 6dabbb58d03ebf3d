namespace FaceCluster.Studies;

/// <summary>
/// Receives the progress of long study steps (reading ratings, checking image files). Reports may come from several
/// threads; <c>completed</c> only grows within a stage.
/// </summary>
public interface IStudyProgress
{
    /// <summary><paramref name="completed"/> of <paramref name="total"/> units of <paramref name="stage"/> are done.</summary>
    void Report(string stage, long completed, long total);
}
