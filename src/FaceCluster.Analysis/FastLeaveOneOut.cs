namespace FaceCluster.Analysis;

/// <summary>
/// Exact leave-one-out PPCA by a rank-2 eigen-update of the all-rows fit (fast-loo.md). Leaving out
/// stimulus <c>i</c> (all <c>w</c> copies) turns the symmetric scatter into
/// <c>Tsym - c a a^T + c b b^T</c> with <c>a = (x~ + y~)/2</c>, <c>b = (x~ - y~)/2</c>,
/// <c>c = w m / (m - w)</c>; in the all-rows eigenbasis that is <c>diag(d) - c za za^T + c zb zb^T</c>,
/// solved as two rank-one secular problems. Eigenvectors are never formed as dense products: a
/// column is <c>z / (d - t)</c> normalised, with <c>z</c> recomputed from the roots (Gu and
/// Eisenstat 1994) in the first update so that its vectors stay orthogonal. Folds are processed in
/// batches so that the two <c>p x p</c> tables every fold reads (the eigenvectors and the pole gaps)
/// stream through the cache once per batch rather than once per fold.
/// </summary>
internal sealed class FastLeaveOneOut
{
    /// <summary>Folds that share one pass over the <c>p x p</c> tables.</summary>
    public const int BatchSize = 8;

    private const double Epsilon = 2.220446049250313e-16;

    private readonly RowMajorMatrix _x;
    private readonly RowMajorMatrix _y;
    private readonly int[]? _weights;
    private readonly double[] _meanX;
    private readonly double[] _meanY;
    private readonly int _totalWeight;
    private readonly int _p;
    private readonly int _k;
    private readonly double[] _components;

    // First update: -(D - c za za^T) = diag(-d) + c za za^T, poles -d_j ascending in j.
    private readonly double[] _poles;
    private readonly double _poleMagnitude;

    // 1 / (poles[c] - poles[l]) at [l * p + c], 1 on the diagonal: the denominators of the
    // Gu-Eisenstat products, the same for every fold that deflates nothing.
    private readonly double[] _inverseGaps;

    public FastLeaveOneOut(RowMajorMatrix x, RowMajorMatrix y, int[]? weights, PpcaFit allRows, int k)
    {
        _x = x;
        _y = y;
        _weights = weights;
        _meanX = allRows.MeanX;
        _meanY = allRows.MeanY;
        _totalWeight = allRows.TotalWeight;
        _p = x.Columns;
        _k = k;
        _components = allRows.Components.Values;
        var d = allRows.ScatterEigen.Values;
        _poles = new double[_p];
        for (var j = 0; j < _p; j++)
        {
            _poles[j] = -d[j];
            _poleMagnitude = Math.Max(_poleMagnitude, Math.Abs(d[j]));
        }

        _inverseGaps = new double[_p * _p];
        for (var l = 0; l < _p; l++)
        {
            for (var c = 0; c < _p; c++)
            {
                _inverseGaps[(l * _p) + c] = c == l ? 1.0 : 1.0 / (_poles[c] - _poles[l]);
            }
        }
    }

    public Workspace CreateWorkspace() => new(_p, _k);

    /// <summary>
    /// Held-out scores of folds <c>[start, start + count)</c> (at most <see cref="BatchSize"/>) into
    /// <paramref name="into"/>; <paramref name="succeeded"/>[f] is false where the update was too
    /// ill-conditioned for the secular method (coincident eigenvalues) and the caller must refit.
    /// </summary>
    public void ComputeBatch(int start, int count, Workspace ws, HeldOutScores into, Span<bool> succeeded)
    {
        var p = _p;
        var slots = ws.Slots;
        double m = _totalWeight;

        // gx = V^T (x_i - mu_x), gy = V^T (y_i - mu_y), for every fold in one pass over V.
        for (var f = 0; f < count; f++)
        {
            var slot = slots[f];
            var i = start + f;
            double w = _weights?[i] ?? 1;
            slot.Rho = w * m / (m - w);
            slot.Scale = m / (m - w);
            var xi = _x.Row(i);
            var yi = _y.Row(i);
            for (var a = 0; a < p; a++)
            {
                slot.Xt[a] = xi[a] - _meanX[a];
                slot.Yt[a] = yi[a] - _meanY[a];
            }

            Array.Clear(slot.Gx);
            Array.Clear(slot.Gy);
        }

        for (var a = 0; a < p; a++)
        {
            var row = _components.AsSpan(a * p, p);
            for (var f = 0; f < count; f++)
            {
                var slot = slots[f];
                VectorKernels.Axpy(slot.Xt[a], row, slot.Gx);
                VectorKernels.Axpy(slot.Yt[a], row, slot.Gy);
            }
        }

        for (var f = 0; f < count; f++)
        {
            slots[f].Ok = FirstUpdateRoots(slots[f]);
        }

        // Gu-Eisenstat: zhat_c^2 = -prod_l (poles_c - root_l) / prod_{l != c} (poles_c - poles_l),
        // each root paired with its lower pole so that every factor stays near 1 (as dlaed3).
        for (var f = 0; f < count; f++)
        {
            if (slots[f].Ok)
            {
                slots[f].Product.AsSpan(0, slots[f].Roots).Fill(1.0);
            }
        }

        for (var l = 0; l < p; l++)
        {
            var gaps = _inverseGaps.AsSpan(l * p, p);
            for (var f = 0; f < count; f++)
            {
                var slot = slots[f];
                if (slot.Ok && slot.Roots == p)
                {
                    VectorKernels.MultiplyByShiftedPoles(_poles, _poles[slot.Origin[l]], slot.Tau[l], gaps, slot.Product);
                }
            }
        }

        for (var f = 0; f < count; f++)
        {
            var slot = slots[f];
            if (slot.Ok && slot.Roots < p)
            {
                DeflatedProducts(slot);
            }

            succeeded[f] = slot.Ok
                && FirstUpdateVectors(slot, ws)
                && SecondUpdate(slot, ws, into.X.Row(start + f)[.._k], into.Y.Row(start + f)[.._k]);
        }
    }

    /// <summary>Deflation and the roots of <c>diag(-d) + rho za za^T</c>.</summary>
    private bool FirstUpdateRoots(Slot slot)
    {
        var p = _p;
        var za = slot.Za;
        double norm2 = 0;
        for (var j = 0; j < p; j++)
        {
            za[j] = 0.5 * (slot.Gx[j] + slot.Gy[j]);
            norm2 += za[j] * za[j];
        }

        var rho = slot.Rho;
        var tolerance = 8 * Epsilon * Math.Max(_poleMagnitude, rho * norm2);
        var zScale = rho * Math.Sqrt(norm2);
        var n1 = 0;
        var lastActive = -1;
        for (var j = 0; j < p; j++)
        {
            if (zScale * Math.Abs(za[j]) <= tolerance)
            {
                slot.Position[j] = -1;
                continue;
            }

            if (lastActive >= 0 && CloseToDeflate(za[lastActive], za[j], _poles[j] - _poles[lastActive], tolerance))
            {
                return false;
            }

            slot.Position[j] = n1;
            slot.Active[n1++] = j;
            lastActive = j;
        }

        slot.Roots = n1;
        var poles = slot.Poles.AsSpan(0, n1);
        var weights = slot.Weights.AsSpan(0, n1);
        for (var c = 0; c < n1; c++)
        {
            var j = slot.Active[c];
            poles[c] = _poles[j];
            weights[c] = rho * za[j] * za[j];
            slot.GxCompressed[c] = slot.Gx[j];
            slot.GyCompressed[c] = slot.Gy[j];
        }

        for (var l = 0; l < n1; l++)
        {
            if (!SecularEquation.SolveRoot(poles, weights, l, out slot.Origin[l], out slot.Tau[l]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Gu-Eisenstat products when some components deflated (the shared gap table does not apply).</summary>
    private static void DeflatedProducts(Slot slot)
    {
        var n1 = slot.Roots;
        var poles = slot.Poles.AsSpan(0, n1);
        var product = slot.Product.AsSpan(0, n1);
        for (var l = 0; l < n1; l++)
        {
            var anchor = poles[slot.Origin[l]];
            var tau = slot.Tau[l];
            for (var c = 0; c < n1; c++)
            {
                var factor = (poles[c] - anchor) - tau;
                product[c] *= c == l ? factor : factor / (poles[c] - poles[l]);
            }
        }
    }

    /// <summary>
    /// Eigenvectors of the first update: fills, per slot s (roots first, then deflated components),
    /// its eigenvalue <c>T1[s]</c>, <c>Hx[s] = u_s . gx</c>, <c>Hy[s]</c>, and rows j &lt; k of U1.
    /// </summary>
    private bool FirstUpdateVectors(Slot slot, Workspace ws)
    {
        var p = _p;
        var k = _k;
        var n1 = slot.Roots;
        var poles = slot.Poles.AsSpan(0, n1);
        var zhat = ws.Zhat.AsSpan(0, n1);
        for (var c = 0; c < n1; c++)
        {
            var square = -slot.Product[c];
            if (!(square > 0))
            {
                return false;
            }

            zhat[c] = Math.CopySign(Math.Sqrt(square), slot.Za[slot.Active[c]]);
        }

        // Roots ascend in -t: slot l holds the l-th largest eigenvalue of D - rho za za^T.
        var t1 = ws.T1;
        var hx = ws.Hx;
        var hy = ws.Hy;
        var u1 = ws.U1Rows;
        var v = ws.Vector.AsSpan(0, n1);
        var gxc = slot.GxCompressed.AsSpan(0, n1);
        var gyc = slot.GyCompressed.AsSpan(0, n1);
        for (var l = 0; l < n1; l++)
        {
            var anchor = poles[slot.Origin[l]];
            var tau = slot.Tau[l];
            t1[l] = -(anchor + tau);
            VectorKernels.DivideByShiftedPoles(zhat, poles, anchor, tau, v);
            var inverseNorm = 1.0 / Math.Sqrt(VectorKernels.Dot(v, v));
            hx[l] = VectorKernels.Dot(v, gxc) * inverseNorm;
            hy[l] = VectorKernels.Dot(v, gyc) * inverseNorm;
            for (var j = 0; j < k; j++)
            {
                var c = slot.Position[j];
                u1[(j * p) + l] = c >= 0 ? v[c] * inverseNorm : 0.0;
            }
        }

        var next = n1;
        for (var j = 0; j < p; j++)
        {
            if (slot.Position[j] >= 0)
            {
                continue;
            }

            t1[next] = -_poles[j];
            hx[next] = slot.Gx[j];
            hy[next] = slot.Gy[j];
            for (var r = 0; r < k; r++)
            {
                u1[(r * p) + next] = r == j ? 1.0 : 0.0;
            }

            next++;
        }

        return true;
    }

    /// <summary>Top k eigenpairs of <c>diag(T1) + rho z2 z2^T</c>, <c>z2 = (Hx - Hy)/2</c>, and the scores.</summary>
    private bool SecondUpdate(Slot slot, Workspace ws, Span<double> sx, Span<double> sy)
    {
        var p = _p;
        var k = _k;
        var rho = slot.Rho;
        var t1 = ws.T1;
        var hx = ws.Hx;
        var hy = ws.Hy;

        // Ascending order of the first update's eigenvalues: roots come descending, deflated ones anywhere.
        var order = ws.Order;
        var n1 = slot.Roots;
        for (var s = 0; s < p; s++)
        {
            order[s] = s < n1 ? n1 - 1 - s : s;
        }

        if (n1 < p)
        {
            var keys = ws.SortKeys;
            for (var s = 0; s < p; s++)
            {
                keys[s] = t1[order[s]];
            }

            Array.Sort(keys, order);
        }

        var poles = ws.Poles2;
        var z2 = ws.Z2;
        double norm2 = 0;
        double magnitude = 0;
        for (var c = 0; c < p; c++)
        {
            var s = order[c];
            poles[c] = t1[s];
            z2[c] = 0.5 * (hx[s] - hy[s]);
            norm2 += z2[c] * z2[c];
            magnitude = Math.Max(magnitude, Math.Abs(poles[c]));
        }

        var tolerance = 8 * Epsilon * Math.Max(magnitude, rho * norm2);
        var zScale = rho * Math.Sqrt(norm2);
        var active = ws.Active2;
        var deflated = ws.Deflated2;
        var n2 = 0;
        var lastActive = -1;
        for (var c = 0; c < p; c++)
        {
            deflated[c] = zScale * Math.Abs(z2[c]) <= tolerance;
            if (deflated[c])
            {
                continue;
            }

            // Only the top k+1 eigenvalues matter; coincidences below them do not move those.
            if (lastActive >= 0 && c >= p - k - 1 && CloseToDeflate(z2[lastActive], z2[c], poles[c] - poles[lastActive], tolerance))
            {
                return false;
            }

            active[n2++] = c;
            lastActive = c;
        }

        var cp = ws.Poles2Compressed.AsSpan(0, n2);
        var cw = ws.Weights2.AsSpan(0, n2);
        var cz = ws.Z2Compressed.AsSpan(0, n2);
        var chx = ws.Hx2.AsSpan(0, n2);
        var chy = ws.Hy2.AsSpan(0, n2);
        for (var c = 0; c < n2; c++)
        {
            var a = active[c];
            cp[c] = poles[a];
            cz[c] = z2[a];
            cw[c] = rho * z2[a] * z2[a];
            chx[c] = hx[order[a]];
            chy[c] = hy[order[a]];
        }

        // Walk down from the largest eigenvalue, merging secular roots with deflated poles.
        var nextRoot = n2 - 1;
        var nextPole = p - 1;
        var v = ws.Vector.AsSpan(0, n2);
        var u1Row = ws.U1Compressed.AsSpan(0, n2);
        for (var j = 0; j < k; j++)
        {
            while (nextPole >= 0 && !deflated[nextPole])
            {
                nextPole--;
            }

            var rootValue = double.NegativeInfinity;
            var origin = 0;
            double tau = 0;
            if (nextRoot >= 0)
            {
                if (!SecularEquation.SolveRoot(cp, cw, nextRoot, out origin, out tau))
                {
                    return false;
                }

                rootValue = cp[origin] + tau;
            }

            double projectionX, projectionY, alignment;
            var u1 = ws.U1Rows.AsSpan(j * p, p);
            if (nextPole >= 0 && poles[nextPole] > rootValue)
            {
                var s = order[nextPole];
                projectionX = hx[s];
                projectionY = hy[s];
                alignment = u1[s];
                nextPole--;
            }
            else
            {
                VectorKernels.DivideByShiftedPoles(cz, cp, cp[origin], tau, v);
                var inverseNorm = 1.0 / Math.Sqrt(VectorKernels.Dot(v, v));
                for (var c = 0; c < n2; c++)
                {
                    u1Row[c] = u1[order[active[c]]];
                }

                projectionX = VectorKernels.Dot(v, chx) * inverseNorm;
                projectionY = VectorKernels.Dot(v, chy) * inverseNorm;
                alignment = VectorKernels.Dot(v, u1Row);
                nextRoot--;
            }

            // Sign rule of analysis.md section 1.5: agree with the all-rows component j.
            var sign = alignment < 0 ? -slot.Scale : slot.Scale;
            sx[j] = sign * projectionX;
            sy[j] = sign * projectionY;
        }

        return true;
    }

    /// <summary>LAPACK dlaed2's test for two poles close enough that a rotation would deflate one.</summary>
    private static bool CloseToDeflate(double zPrevious, double zNext, double gap, double tolerance)
    {
        var r = Math.Sqrt((zPrevious * zPrevious) + (zNext * zNext));
        if (r == 0)
        {
            return false;
        }

        var c = zNext / r;
        var s = zPrevious / r;
        return Math.Abs(gap * c * s) <= tolerance;
    }

    /// <summary>Per-fold state of a batch.</summary>
    internal sealed class Slot(int p)
    {
        public double Rho;
        public double Scale;
        public int Roots;
        public bool Ok;
        public readonly double[] Xt = new double[p];
        public readonly double[] Yt = new double[p];
        public readonly double[] Gx = new double[p];
        public readonly double[] Gy = new double[p];
        public readonly double[] Za = new double[p];
        public readonly int[] Active = new int[p];
        public readonly int[] Position = new int[p];
        public readonly double[] Poles = new double[p];
        public readonly double[] Weights = new double[p];
        public readonly double[] GxCompressed = new double[p];
        public readonly double[] GyCompressed = new double[p];
        public readonly int[] Origin = new int[p];
        public readonly double[] Tau = new double[p];
        public readonly double[] Product = new double[p];
    }

    /// <summary>Per-thread scratch arrays, reused across batches.</summary>
    internal sealed class Workspace
    {
        public Workspace(int p, int k)
        {
            Slots = new Slot[BatchSize];
            for (var f = 0; f < BatchSize; f++)
            {
                Slots[f] = new Slot(p);
            }

            Vector = new double[p];
            Zhat = new double[p];
            T1 = new double[p];
            Hx = new double[p];
            Hy = new double[p];
            U1Rows = new double[k * p];
            Order = new int[p];
            SortKeys = new double[p];
            Poles2 = new double[p];
            Z2 = new double[p];
            Active2 = new int[p];
            Deflated2 = new bool[p];
            Poles2Compressed = new double[p];
            Weights2 = new double[p];
            Z2Compressed = new double[p];
            Hx2 = new double[p];
            Hy2 = new double[p];
            U1Compressed = new double[p];
        }

        public Slot[] Slots { get; }

        public double[] Vector { get; }

        public double[] Zhat { get; }

        public double[] T1 { get; }

        public double[] Hx { get; }

        public double[] Hy { get; }

        public double[] U1Rows { get; }

        public int[] Order { get; }

        public double[] SortKeys { get; }

        public double[] Poles2 { get; }

        public double[] Z2 { get; }

        public int[] Active2 { get; }

        public bool[] Deflated2 { get; }

        public double[] Poles2Compressed { get; }

        public double[] Weights2 { get; }

        public double[] Z2Compressed { get; }

        public double[] Hx2 { get; }

        public double[] Hy2 { get; }

        public double[] U1Compressed { get; }
    }
}
