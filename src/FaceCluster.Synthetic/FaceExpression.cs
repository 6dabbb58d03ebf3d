namespace FaceCluster.Synthetic;

/// <summary>
/// The parameters of the facial-movement space. Muscle movements (action units) range over <c>[0, 1]</c>; gaze and
/// head pose (<see cref="GazeX"/> to <see cref="HeadTurn"/>) over <c>[-1, 1]</c>.
/// </summary>
public enum FacialMovement
{
    /// <summary>Inner brow raiser (AU1).</summary>
    BrowInnerRaise,

    /// <summary>Outer brow raiser (AU2).</summary>
    BrowOuterRaise,

    /// <summary>Brow lowerer (AU4).</summary>
    BrowLower,

    /// <summary>Upper lid raiser (AU5): eyes wide open.</summary>
    UpperLidRaise,

    /// <summary>Lid tightener (AU7): eyes narrowed.</summary>
    LidTighten,

    /// <summary>Cheek raiser (AU6).</summary>
    CheekRaise,

    /// <summary>Nose wrinkler (AU9).</summary>
    NoseWrinkle,

    /// <summary>Upper lip raiser (AU10).</summary>
    UpperLipRaise,

    /// <summary>Lip corner puller (AU12): smile.</summary>
    LipCornerPull,

    /// <summary>Lip corner depressor (AU15).</summary>
    LipCornerDepress,

    /// <summary>Lip stretcher (AU20).</summary>
    LipStretch,

    /// <summary>Lip pressor (AU24).</summary>
    LipPress,

    /// <summary>Lip pucker (AU18).</summary>
    LipPucker,

    /// <summary>Jaw drop (AU26/27).</summary>
    JawDrop,

    /// <summary>Gaze, left (-1) to right (+1) in the image.</summary>
    GazeX,

    /// <summary>Gaze, up (-1) to down (+1).</summary>
    GazeY,

    /// <summary>Head roll, counter-clockwise (-1) to clockwise (+1) in the image (up to 15 degrees).</summary>
    HeadTilt,

    /// <summary>Head turn (yaw), toward image left (-1) or right (+1).</summary>
    HeadTurn,
}

/// <summary>A point of the facial-movement space: one value per <see cref="FacialMovement"/>.</summary>
public sealed class FaceExpression
{
    /// <summary>The number of movement parameters.</summary>
    public const int Count = 18;

    /// <summary>The first parameter with the range <c>[-1, 1]</c> (gaze and head pose).</summary>
    public const FacialMovement FirstSigned = FacialMovement.GazeX;

    private readonly double[] _values;

    /// <summary>Creates an expression from <see cref="Count"/> values, clamped to each parameter's range.</summary>
    /// <exception cref="ArgumentException">Not exactly <see cref="Count"/> values, or a value that is not finite.</exception>
    public FaceExpression(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != Count)
        {
            throw new ArgumentException($"An expression has {Count} values, got {values.Count}.", nameof(values));
        }

        _values = new double[Count];
        for (var i = 0; i < Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException($"{(FacialMovement)i} is not finite.", nameof(values));
            }

            _values[i] = Math.Clamp(values[i], IsSigned((FacialMovement)i) ? -1 : 0, 1);
        }
    }

    /// <summary>The neutral face: every movement at rest.</summary>
    public static FaceExpression Neutral { get; } = new(new double[Count]);

    /// <summary>The names of the parameters, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetNames<FacialMovement>()];

    /// <summary>The values, in <see cref="FacialMovement"/> order.</summary>
    public IReadOnlyList<double> Values => _values;

    /// <summary>The value of one movement.</summary>
    public double this[FacialMovement movement] => _values[(int)movement];

    /// <summary>Whether <paramref name="movement"/> ranges over <c>[-1, 1]</c> rather than <c>[0, 1]</c>.</summary>
    public static bool IsSigned(FacialMovement movement) => movement >= FirstSigned;
}
