namespace FaceCluster.Analysis;

/// <summary>
/// Runs a loop over rows in fixed contiguous chunks on up to <c>threads</c> workers. Callers write
/// each row's result to its own slot and reduce afterwards in row order, so results never depend on
/// the thread count or on scheduling.
/// </summary>
internal static class RowChunks
{
    /// <summary>
    /// Calls <paramref name="body"/>(start, end) for chunks covering <c>[0, rows)</c>. A body that
    /// watches a token should return early on cancellation; the caller then throws, so that
    /// cancellation surfaces as <see cref="OperationCanceledException"/>, not an aggregate.
    /// </summary>
    public static void For(int rows, int threads, Action<int, int> body)
    {
        if (threads <= 1 || rows < 64)
        {
            body(0, rows);
            return;
        }

        // A few chunks per worker balance uneven rows (tree walks differ in cost) without much overhead.
        var chunks = Math.Min(rows, threads * 8);
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.For(0, chunks, options, c =>
        {
            var start = (int)((long)rows * c / chunks);
            var end = (int)((long)rows * (c + 1) / chunks);
            body(start, end);
        });
    }
}
