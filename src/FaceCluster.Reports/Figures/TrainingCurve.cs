using ScottPlot;

namespace FaceCluster.Reports;

/// <summary>One row of the training log (<c>model/loss.parquet</c>).</summary>
/// <param name="Epoch">The epoch the step belongs to.</param>
/// <param name="Step">The optimiser step, counted over the whole run.</param>
/// <param name="TrainLoss">The training loss of that step's batch.</param>
/// <param name="HeldOutMse">The held-out MSE, only on the last step of an epoch.</param>
public readonly record struct TrainingPoint(int Epoch, long Step, double TrainLoss, double? HeldOutMse);

/// <summary>The training of the DNN: loss per step, held-out MSE per epoch and the MSE of always predicting the mean.</summary>
public static class TrainingCurve
{
    /// <summary>The figure's file name.</summary>
    public const string Name = "training_curve";

    /// <summary>Colour of the training loss.</summary>
    public static readonly Color TrainColor = new(0x7F, 0x9F, 0xC8);

    /// <summary>Colour of the held-out MSE.</summary>
    public static readonly Color HeldOutColor = new(0xD6, 0x27, 0x28);

    /// <summary>Colour of the baseline.</summary>
    public static readonly Color BaselineColor = Colors.Black;

    /// <summary>Draws <paramref name="points"/> and, if given, the baseline MSE as a dashed line.</summary>
    /// <param name="points">The training log, in step order.</param>
    /// <param name="baselineMse">The held-out MSE of the mean predictor, or null if unknown.</param>
    public static Figure Create(IReadOnlyList<TrainingPoint> points, double? baselineMse)
    {
        ArgumentNullException.ThrowIfNull(points);
        var plot = PlotStyle.NewPlot();
        if (points.Count > 0)
        {
            // SignalXY draws one min/max span per pixel column: a paper-size run logs over 100,000 steps.
            var train = plot.Add.SignalXY(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.TrainLoss).ToArray(), TrainColor);
            train.LineWidth = 1;
            train.LegendText = "training loss (per step)";
        }

        var heldOut = points.Where(p => p.HeldOutMse is not null).ToArray();
        if (heldOut.Length > 0)
        {
            var scatter = plot.Add.Scatter(heldOut.Select(p => (double)p.Step).ToArray(), heldOut.Select(p => p.HeldOutMse!.Value).ToArray(), HeldOutColor);
            scatter.LineWidth = 1.5f;
            scatter.MarkerSize = 9;
            scatter.MarkerShape = MarkerShape.FilledCircle;
            scatter.LegendText = "held-out MSE (per epoch)";
        }

        if (baselineMse is { } baseline)
        {
            var line = plot.Add.HorizontalLine(baseline, 1.5f, BaselineColor, LinePattern.Dashed);
            line.LegendText = $"mean predictor MSE = {FigureKit.Format(baseline, "0.0000")}";
        }

        plot.XLabel("Step");
        plot.YLabel("Mean squared error");
        plot.Title("Training of the DNN");
        plot.ShowLegend(Alignment.UpperRight);
        var epochs = points.Count == 0 ? 0 : points.Max(p => p.Epoch) - points.Min(p => p.Epoch) + 1;
        var caption =
            $"Training loss of every step ({points.Count} steps, {epochs} epochs), the MSE on the held-out seeds at the end of each " +
            "epoch, and the held-out MSE of always predicting the mean rating (dashed): the DNN learns where its curve falls below that line.";
        return PlotStyle.Render(plot, Name, "Training curve", caption, 1000, 560);
    }
}
