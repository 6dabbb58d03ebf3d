using FaceCluster.Studies;

namespace FaceCluster.Cli.Progress;

/// <summary>
/// Shows the stages a study validation reports (ratings read, image files checked) as progress steps. Reports arrive
/// from worker threads, possibly out of order; each step only moves forward.
/// </summary>
internal sealed class StudyProgressAdapter(IProgressReporter reporter) : IStudyProgress, IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (IProgressStep Step, long Completed)> _steps = [];
    private readonly HashSet<string> _ended = [];

    /// <inheritdoc />
    public void Report(string stage, long completed, long total)
    {
        lock (_gate)
        {
            if (_ended.Contains(stage))
            {
                return;
            }

            if (!_steps.TryGetValue(stage, out var entry))
            {
                entry = (reporter.Start(stage, total), 0);
            }

            if (completed > entry.Completed)
            {
                entry.Step.Advance(completed - entry.Completed);
                entry.Completed = completed;
            }

            _steps[stage] = entry;
            if (entry.Completed >= total)
            {
                entry.Step.Dispose();
                _steps.Remove(stage);
                _ended.Add(stage);
            }
        }
    }

    /// <summary>Ends the steps still open.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (step, _) in _steps.Values)
            {
                step.Dispose();
            }

            _steps.Clear();
        }
    }
}
