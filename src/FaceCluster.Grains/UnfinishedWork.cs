namespace FaceCluster.Grains;

/// <summary>How a registry of long work (runs, learning jobs) wakes what it knows to be unfinished.</summary>
public static class UnfinishedWork
{
    /// <summary>
    /// Calls <paramref name="wake"/> for every id at once (true when that work has ended), waiting at most
    /// <paramref name="wait"/>: slow ones are woken all the same and asked again next time. A failure is passed to
    /// <paramref name="onFailure"/> (id, reason) and counts as unfinished. Returns the ids found ended.
    /// </summary>
    public static async Task<IReadOnlySet<string>> WakeAllAsync(
        IReadOnlyList<string> ids, Func<string, Task<bool>> wake, Action<string, string> onFailure, TimeSpan wait)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(wake);
        ArgumentNullException.ThrowIfNull(onFailure);
        var wakes = ids.Select(async id =>
        {
            try
            {
                return (id, Ended: await wake(id).ConfigureAwait(true));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                onFailure(id, e.Message);
                return (id, Ended: false);
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(wakes).WaitAsync(wait).ConfigureAwait(true);
        }
        catch (TimeoutException)
        {
            // Slow ones were woken all the same; they are asked again next time.
        }

        return wakes.Where(w => w.IsCompletedSuccessfully && w.Result.Ended).Select(w => w.Result.id).ToHashSet(StringComparer.Ordinal);
    }
}
