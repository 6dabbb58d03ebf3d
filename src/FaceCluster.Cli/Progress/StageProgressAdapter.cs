using FaceCluster.Analysis;
using FaceCluster.Studies;

namespace FaceCluster.Cli.Progress;

/// <summary>
/// Shows the stages an analysis (leave-one-out, bootstrap, replicates) or a study validation (ratings read, image files
/// checked) reports as progress steps. Reports arrive from worker threads, possibly out of order; each step only
/// moves forward, and a stage that ended ignores late reports.
/// </summary>
internal sealed class StageProgressAdapter(IProgressReporter reporter) : IAnalysisProgress, IStudyProgress, IDisposable
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
