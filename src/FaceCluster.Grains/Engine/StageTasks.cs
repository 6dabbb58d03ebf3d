using System.Text.Json;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>Helpers for the range work of run kinds.</summary>
public static class StageTasks
{
    private static readonly Func<CancellationToken, Task> Nothing = _ => Task.CompletedTask;

    /// <summary>A one-unit stage's work, which writes everything itself: nothing is left to write afterwards.</summary>
    public static async Task<Func<CancellationToken, Task>> Whole(Task work)
    {
        ArgumentNullException.ThrowIfNull(work);
        await work.ConfigureAwait(false);
        return Nothing;
    }

    /// <summary>
    /// Runs arithmetic on a thread of its own rather than on the thread pool, which the silo needs for messaging and grains.
    /// </summary>
    public static Task<T> Offload<T>(Func<T> compute, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(compute, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Reads a small JSON shard.</summary>
    public static async Task<T> ReadJsonAsync<T>(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<T>(stream, AtomicFile.JsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{path} is empty.");
    }
}
