using System.Collections.Concurrent;
using FaceCluster.Analysis;
using FaceCluster.Outputs;
using FaceCluster.Tables;

namespace FaceCluster.Grains;

/// <summary>The checked inputs of a PPCA run, as one silo holds them.</summary>
/// <param name="SeedIds">Stimulus ids, in row order.</param>
/// <param name="Attributes">Attribute names, in column order.</param>
/// <param name="X">DNN outputs, <c>n x p</c>.</param>
/// <param name="Y">Judgments aligned to <paramref name="X"/> by seed id and attribute name.</param>
public sealed record PpcaInputs(string[] SeedIds, string[] Attributes, RowMajorMatrix X, RowMajorMatrix Y)
{
    private readonly Lazy<PpcaFit> _fit = new(() => PpcaAnalysis.FitAllRows(X, Y));

    /// <summary>The all-rows fit (computed once per silo).</summary>
    public PpcaFit Fit => _fit.Value;
}

/// <summary>The checked input of a G-PPCA run.</summary>
/// <param name="Table">The judgments.</param>
/// <param name="Grid">Its countries and concepts.</param>
public sealed record GppcaInput(WideTable Table, AttributeGrid Grid);

/// <summary>
/// The input matrices of runs, read once per silo and shared by every range that silo computes. Entries are keyed by the
/// files' full paths, sizes and last-write times, so a replaced file is read again; the least recently added entries
/// are dropped beyond <see cref="Capacity"/>.
/// </summary>
public sealed class InputCache
{
    /// <summary>Entries kept.</summary>
    public const int Capacity = 8;

    private readonly ConcurrentDictionary<string, Lazy<Task<object>>> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Times a file was actually read (for tests and diagnostics).</summary>
    public int Loads => _loads;

    private int _loads;

    /// <summary>X and Y of a PPCA run (Y aligned to X), read and checked once.</summary>
    public async Task<PpcaInputs> GetPpcaAsync(string xPath, string yPath, CancellationToken cancellationToken) =>
        (PpcaInputs)await GetAsync(
            $"ppca|{Key(xPath)}|{Key(yPath)}",
            async () =>
            {
                var x = await WideTableReader.ReadAsync(xPath, CancellationToken.None).ConfigureAwait(false);
                var y = (await WideTableReader.ReadAsync(yPath, CancellationToken.None).ConfigureAwait(false)).AlignTo(x);
                return new PpcaInputs(
                    x.SeedIds, x.Attributes, new RowMajorMatrix(x.RowCount, x.ColumnCount, x.Values), new RowMajorMatrix(y.RowCount, y.ColumnCount, y.Values));
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>The judgments of a G-PPCA run, read and checked once.</summary>
    public async Task<GppcaInput> GetGppcaAsync(string path, CancellationToken cancellationToken) =>
        (GppcaInput)await GetAsync(
            $"gppca|{Key(path)}",
            async () =>
            {
                var table = await WideTableReader.ReadAsync(path, CancellationToken.None).ConfigureAwait(false);
                return new GppcaInput(table, GppcaOutputs.GridOf(table));
            },
            cancellationToken).ConfigureAwait(false);

    /// <summary>Rotated loadings written by <see cref="PpcaOutputs.WriteLoadingsAsync"/> (the replicates' reference).</summary>
    public async Task<(string[] Labels, RowMajorMatrix Loadings)> GetLoadingsAsync(string path, CancellationToken cancellationToken) =>
        ((string[], RowMajorMatrix))await GetAsync(
            $"loadings|{Key(path)}",
            async () => await PpcaOutputs.ReadLoadingsAsync(path, CancellationToken.None).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

    private async Task<object> GetAsync(string key, Func<Task<object>> load, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(key, _ =>
        {
            _order.Enqueue(key);
            return new Lazy<Task<object>>(() =>
            {
                Interlocked.Increment(ref _loads);
                return Task.Run(load, CancellationToken.None);
            });
        });
        try
        {
            return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (entry.Value.IsFaulted)
        {
            // Failures are not cached: a fixed file is read again.
            _entries.TryRemove(new KeyValuePair<string, Lazy<Task<object>>>(key, entry));
            throw;
        }
        finally
        {
            while (_order.Count > Capacity && _order.TryDequeue(out var oldest))
            {
                _entries.TryRemove(oldest, out _);
            }
        }
    }

    private static string Key(string path)
    {
        var info = new FileInfo(path);
        return info.Exists
            ? FormattableString.Invariant($"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}")
            : info.FullName;
    }
}
