using System.Runtime.CompilerServices;
namespace FaceCluster.Analysis;

/// <summary>
/// Reusable buffers for partial Spearman correlations of one score table under many weight vectors
/// (the point estimate and every bootstrap resample). One per thread; nothing is allocated per call.
/// </summary>
/// <remarks>
/// Per call: the centred weighted ranks of every column are written, by one pass over each presorted
/// column, into a store in the panel layout of <see cref="CrossProductKernel"/> that holds only the rows
/// of positive weight, compacted (rows of weight 0 all write to one dummy row); for each block of
/// <see cref="BlockRows"/> such rows the weighted copy <c>w R</c> is formed and the block is fed to
/// <see cref="CrossProductKernel.AccumulateLower"/>; the <c>2k x 2k</c> cross-product then goes through
/// <see cref="PartialCorrelation.FromCrossProduct"/>. Centring is exact: the weighted
/// mean rank is <c>(total + 1) / 2</c> and each centred rank is a half-integer.
/// </remarks>
internal sealed class PartialSpearmanWorkspace
{
    internal const int BlockRows = 128;

    private readonly PresortedColumn[] _columns;
    private readonly int _rows;
    private readonly int _k;
    private readonly int _stride;
    private readonly CrossProductPath _path;
    private readonly int _panelStride;
    private readonly long[] _entries;
    private readonly double[] _compactWeight;
    private readonly double[] _ranks;
    private readonly double[] _weightedBlock;
    private readonly double[] _cross;
    private readonly double[] _factor;
    private readonly bool[] _pivotOk;

    /// <summary>Buffers for <paramref name="columns"/> (interleaved <c>x1, y1, ...</c>, shared, read-only).</summary>
    internal PartialSpearmanWorkspace(PresortedColumn[] columns, int k, CrossProductPath path)
    {
        _columns = columns;
        _k = k;
        _rows = columns.Length == 0 ? 0 : columns[0].Count;
        var p = 2 * k;
        _stride = CrossProductKernel.PaddedStride(p);
        _path = path;
        _panelStride = (_rows + 1) * CrossProductKernel.Panel;
        _entries = new long[_rows];
        _compactWeight = new double[_rows + 1];
        _ranks = new double[_stride * (_rows + 1)];
        _weightedBlock = new double[BlockRows * _stride];
        _cross = new double[_stride * _stride];
        _factor = new double[p * p];
        _pivotOk = new bool[p];
    }

    /// <summary>Presorts the columns of the two score tables in the order <c>x1, y1, x2, y2, ...</c>.</summary>
    internal static PresortedColumn[] Presort(RowMajorMatrix sx, RowMajorMatrix sy)
    {
        var k = sx.Columns;
        var columns = new PresortedColumn[2 * k];
        for (var j = 0; j < k; j++)
        {
            columns[2 * j] = new PresortedColumn(sx.Column(j));
            columns[(2 * j) + 1] = new PresortedColumn(sy.Column(j));
        }

        return columns;
    }

    /// <summary>
    /// Partial Spearman <c>r_1..r_k</c> when row <c>i</c> has <paramref name="weights"/><c>[i]</c> copies
    /// (non-negative, summing to <paramref name="total"/>; not checked here).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Compute(ReadOnlySpan<int> weights, long total, Span<double> r)
    {
        const int panel = CrossProductKernel.Panel;
        var n = _rows;
        var used = 0;
        for (var i = 0; i < n; i++)
        {
            var w = weights[i];
            var slot = n;
            if (w > 0)
            {
                slot = used;
                _compactWeight[used] = w;
                used++;
            }

            _entries[i] = ((long)(slot * panel) << 32) | (uint)w;
        }

        var p = 2 * _k;
        for (var c = 0; c < p; c++)
        {
            var start = ((c / panel) * _panelStride) + (c % panel);
            _columns[c].WriteCentredRanks(_entries, total, _ranks.AsSpan(start, _panelStride - (c % panel)));
        }

        Array.Clear(_cross);
        const int weightedPanelStride = BlockRows * panel;
        for (var t0 = 0; t0 < used; t0 += BlockRows)
        {
            var count = Math.Min(BlockRows, used - t0);
            var block = _ranks.AsSpan(t0 * panel);
            CrossProductKernel.ScaleRows(block, _panelStride, _compactWeight.AsSpan(t0, count), count, _stride, _weightedBlock, weightedPanelStride);
            CrossProductKernel.AccumulateLower(block, _panelStride, _weightedBlock, weightedPanelStride, count, _stride, _cross, _path);
        }

        PartialCorrelation.FromCrossProduct(_cross, _stride, _k, _factor, _pivotOk, r);
    }
}
