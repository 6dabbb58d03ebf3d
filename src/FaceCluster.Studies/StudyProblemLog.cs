namespace FaceCluster.Studies;

/// <summary>How many problems of one kind and severity a validation found, and how many of them it kept.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Severity">The severity.</param>
/// <param name="Count">All problems of this kind and severity.</param>
/// <param name="Kept">How many are in <see cref="StudyValidationResult.Problems"/> (at most the cap per kind).</param>
public sealed record StudyProblemCount(StudyProblemKind Kind, StudyProblemSeverity Severity, long Count, int Kept);

/// <summary>
/// Collects problems from any thread. Counts every problem, but keeps only the first <c>maxPerKind</c> of each kind
/// and severity, "first" meaning first in file order (the order given at construction), then row — whatever order
/// parallel checks report them in — so that the output is the same from run to run.
/// </summary>
internal sealed class StudyProblemLog
{
    private readonly Lock _gate = new();
    private readonly int _maxPerKind;
    private readonly IReadOnlyList<string> _fileOrder;
    private readonly Dictionary<(StudyProblemKind, StudyProblemSeverity), Bucket> _buckets = [];

    public StudyProblemLog(int maxPerKind, IReadOnlyList<string> fileOrder)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPerKind);
        _maxPerKind = maxPerKind;
        _fileOrder = fileOrder;
    }

    public long ErrorCount { get; private set; }

    public long WarningCount { get; private set; }

    public void Add(StudyProblem problem)
    {
        lock (_gate)
        {
            if (problem.IsError)
            {
                ErrorCount++;
            }
            else
            {
                WarningCount++;
            }

            var key = (problem.Kind, problem.Severity);
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                bucket = new Bucket();
                _buckets[key] = bucket;
            }

            bucket.Count++;
            if (_maxPerKind == 0)
            {
                return;
            }

            bucket.Kept.Add(problem);
            if (bucket.Kept.Count >= 2 * _maxPerKind)
            {
                // Keep the earliest in file order; amortised, so adding stays cheap with millions of problems.
                bucket.Kept.Sort(Compare);
                bucket.Kept.RemoveRange(_maxPerKind, bucket.Kept.Count - _maxPerKind);
            }
        }
    }

    public void Error(StudyProblemKind kind, string file, long? row, string? column, string message) =>
        Add(new StudyProblem(StudyProblemSeverity.Error, kind, file, row, column, message));

    public void Warning(StudyProblemKind kind, string file, long? row, string? column, string message) =>
        Add(new StudyProblem(StudyProblemSeverity.Warning, kind, file, row, column, message));

    /// <summary>
    /// Counts a problem without creating it when its kind already has a full list of kept problems, for callers that
    /// report in file and row order (the ratings pass): a later problem would never be kept. Returns whether it counted.
    /// </summary>
    public bool CountIfFull(StudyProblemKind kind, StudyProblemSeverity severity)
    {
        lock (_gate)
        {
            if (!_buckets.TryGetValue((kind, severity), out var bucket) || bucket.Kept.Count < _maxPerKind)
            {
                return false;
            }

            bucket.Count++;
            if (severity == StudyProblemSeverity.Error)
            {
                ErrorCount++;
            }
            else
            {
                WarningCount++;
            }

            return true;
        }
    }

    public long CountOf(StudyProblemKind kind)
    {
        lock (_gate)
        {
            return _buckets.Where(b => b.Key.Item1 == kind).Sum(b => b.Value.Count);
        }
    }

    /// <summary>The kept problems of every kind in file and row order, and the counts per kind.</summary>
    public (List<StudyProblem> Problems, List<StudyProblemCount> Counts) Snapshot()
    {
        lock (_gate)
        {
            var problems = new List<StudyProblem>();
            var counts = new List<StudyProblemCount>();
            foreach (var ((kind, severity), bucket) in _buckets.OrderBy(b => b.Key.Item2).ThenBy(b => b.Key.Item1))
            {
                bucket.Kept.Sort(Compare);
                if (bucket.Kept.Count > _maxPerKind)
                {
                    bucket.Kept.RemoveRange(_maxPerKind, bucket.Kept.Count - _maxPerKind);
                }

                problems.AddRange(bucket.Kept);
                counts.Add(new StudyProblemCount(kind, severity, bucket.Count, bucket.Kept.Count));
            }

            problems.Sort(Compare);
            return (problems, counts);
        }
    }

    private int Compare(StudyProblem a, StudyProblem b)
    {
        var c = FileRank(a.File).CompareTo(FileRank(b.File));
        if (c == 0)
        {
            c = string.CompareOrdinal(a.File, b.File);
        }

        if (c == 0)
        {
            c = (a.Row ?? 0).CompareTo(b.Row ?? 0);
        }

        if (c == 0)
        {
            c = a.Severity.CompareTo(b.Severity);
        }

        if (c == 0)
        {
            c = a.Kind.CompareTo(b.Kind);
        }

        if (c == 0)
        {
            c = string.CompareOrdinal(a.Column, b.Column);
        }

        return c != 0 ? c : string.CompareOrdinal(a.Message, b.Message);
    }

    private int FileRank(string file)
    {
        for (var i = 0; i < _fileOrder.Count; i++)
        {
            if (_fileOrder[i] == file)
            {
                return i;
            }
        }

        return _fileOrder.Count;
    }

    private sealed class Bucket
    {
        public long Count;
        public readonly List<StudyProblem> Kept = [];
    }
}
