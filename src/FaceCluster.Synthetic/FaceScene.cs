using FaceCluster.Analysis;

namespace FaceCluster.Synthetic;

/// <summary>How a person's hair is drawn.</summary>
public enum HairStyle
{
    /// <summary>Short hair with a side part.</summary>
    Cropped,

    /// <summary>Long hair falling behind the shoulders.</summary>
    Flowing,

    /// <summary>Hair pulled back into a bun.</summary>
    Bun,

    /// <summary>Short curly hair.</summary>
    Curly,

    /// <summary>Very short (buzzed) hair.</summary>
    Buzz,

    /// <summary>No hair on top.</summary>
    Bald,
}

/// <summary>The pattern of a background.</summary>
public enum BackgroundPattern
{
    /// <summary>One colour with soft light falloff.</summary>
    Plain,

    /// <summary>Vertical stripes.</summary>
    Stripes,

    /// <summary>Polka dots.</summary>
    Dots,

    /// <summary>A checkerboard.</summary>
    Checks,

    /// <summary>A vertical two-colour gradient.</summary>
    Gradient,
}

/// <summary>A colour as red, green and blue in <c>[0, 255]</c>.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>A colour from components that are rounded and clamped to <c>[0, 255]</c>.</summary>
    public static Rgb From(double r, double g, double b) =>
        new((byte)Math.Clamp(Math.Round(r), 0, 255), (byte)Math.Clamp(Math.Round(g), 0, 255), (byte)Math.Clamp(Math.Round(b), 0, 255));

    /// <summary>A colour from hue (degrees), saturation and value in <c>[0, 1]</c>.</summary>
    public static Rgb FromHsv(double hue, double saturation, double value)
    {
        hue = ((hue % 360) + 360) % 360 / 60;
        var c = value * saturation;
        var x = c * (1 - Math.Abs(hue % 2 - 1));
        var (r, g, b) = (int)hue switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        var m = value - c;
        return From((r + m) * 255, (g + m) * 255, (b + m) * 255);
    }

    /// <summary>Warmth in <c>[-1, 1]</c>: red/yellow positive, blue negative.</summary>
    public double Warmth => (R - B) / 255.0;

    /// <summary>Brightness in <c>[0, 1]</c>.</summary>
    public double Brightness => (0.299 * R + 0.587 * G + 0.114 * B) / 255.0;
}

/// <summary>
/// Who a face belongs to: proportions, colouring, hair and glasses. Lengths are in face units (half the width of the
/// face at the cheekbones).
/// </summary>
public sealed record FaceIdentity
{
    /// <summary>Face length relative to the average (about 0.92-1.1).</summary>
    public double FaceLength { get; init; } = 1;

    /// <summary>Jaw width at the mouth relative to the cheekbones (about 0.72-0.92).</summary>
    public double JawWidth { get; init; } = 0.82;

    /// <summary>Half the distance between the eye centres (about 0.38-0.46).</summary>
    public double EyeSpacing { get; init; } = 0.42;

    /// <summary>Half the width of an eye (about 0.18-0.23).</summary>
    public double EyeWidth { get; init; } = 0.2;

    /// <summary>Half the height of an open eye at rest (about 0.075-0.1).</summary>
    public double EyeHeight { get; init; } = 0.085;

    /// <summary>Height of the eye line: offset from the default (about -0.05 to 0.05).</summary>
    public double EyeLevel { get; init; }

    /// <summary>Nose length scale (about 0.9-1.15).</summary>
    public double NoseLength { get; init; } = 1;

    /// <summary>Half the width of the nose at the wings (about 0.15-0.23).</summary>
    public double NoseWidth { get; init; } = 0.18;

    /// <summary>Half the width of the mouth at rest (about 0.28-0.38).</summary>
    public double MouthWidth { get; init; } = 0.32;

    /// <summary>Lip fullness (about 0.7-1.3).</summary>
    public double LipFullness { get; init; } = 1;

    /// <summary>Brow thickness (about 0.7-1.3).</summary>
    public double BrowThickness { get; init; } = 1;

    /// <summary>Skin colour.</summary>
    public Rgb Skin { get; init; } = new(224, 180, 150);

    /// <summary>Lip colour.</summary>
    public Rgb Lips { get; init; } = new(190, 100, 100);

    /// <summary>Iris colour.</summary>
    public Rgb Iris { get; init; } = new(90, 60, 40);

    /// <summary>Hair (and brow) colour.</summary>
    public Rgb Hair { get; init; } = new(50, 35, 25);

    /// <summary>Hair style.</summary>
    public HairStyle HairStyle { get; init; } = HairStyle.Cropped;

    /// <summary>Whether the person wears glasses.</summary>
    public bool Glasses { get; init; }

    /// <summary>Frame colour of the glasses.</summary>
    public Rgb GlassesFrame { get; init; } = new(30, 30, 35);

    /// <summary>
    /// Draws a random identity from <paramref name="random"/>, with the skin tone <paramref name="tone"/> (0 lightest,
    /// 1 darkest; drawn uniformly when <see langword="null"/>).
    /// </summary>
    public static FaceIdentity Random(ref SeededRandom random, double? tone = null)
    {
        var skinTone = tone ?? random.NextDouble();
        var skin = SkinTone(skinTone, random.NextDouble());
        var hairStyle = (HairStyle)Pick(ref random, [0.3, 0.25, 0.12, 0.13, 0.12, 0.08]);
        var greyHair = random.NextDouble() < 0.08;
        Rgb hair = greyHair
            ? Grey(140 + 70 * random.NextDouble())
            : (skinTone > 0.45 ? 0 : Pick(ref random, [0.35, 0.3, 0.15, 0.12, 0.08])) switch
            {
                0 => Rgb.From(25 + 20 * random.NextDouble(), 20 + 15 * random.NextDouble(), 18 + 10 * random.NextDouble()),
                1 => Rgb.From(70 + 30 * random.NextDouble(), 45 + 20 * random.NextDouble(), 30 + 10 * random.NextDouble()),
                2 => Rgb.From(120 + 30 * random.NextDouble(), 80 + 25 * random.NextDouble(), 50 + 15 * random.NextDouble()),
                3 => Rgb.From(150 + 30 * random.NextDouble(), 70 + 20 * random.NextDouble(), 35 + 10 * random.NextDouble()),
                _ => Rgb.From(200 + 30 * random.NextDouble(), 170 + 30 * random.NextDouble(), 110 + 30 * random.NextDouble()),
            };
        Rgb iris = (skinTone > 0.4 ? Pick(ref random, [0.7, 0.3]) : Pick(ref random, [0.35, 0.2, 0.15, 0.15, 0.15])) switch
        {
            0 => Rgb.From(70 + 20 * random.NextDouble(), 45 + 10 * random.NextDouble(), 25),
            1 => Rgb.From(110, 80 + 15 * random.NextDouble(), 45),
            2 => Rgb.From(120, 110, 60),
            3 => Rgb.From(70, 110 + 30 * random.NextDouble(), 160 + 30 * random.NextDouble()),
            _ => Rgb.From(80, 120, 90 + 20 * random.NextDouble()),
        };
        var lipRed = 0.72 + 0.12 * random.NextDouble();
        return new FaceIdentity
        {
            FaceLength = 0.93 + 0.16 * random.NextDouble(),
            JawWidth = 0.72 + 0.2 * random.NextDouble(),
            EyeSpacing = 0.39 + 0.07 * random.NextDouble(),
            EyeWidth = 0.18 + 0.045 * random.NextDouble(),
            EyeHeight = 0.075 + 0.025 * random.NextDouble(),
            EyeLevel = -0.05 + 0.1 * random.NextDouble(),
            NoseLength = 0.9 + 0.25 * random.NextDouble(),
            NoseWidth = 0.15 + 0.08 * random.NextDouble(),
            MouthWidth = 0.28 + 0.1 * random.NextDouble(),
            LipFullness = 0.7 + 0.6 * random.NextDouble(),
            BrowThickness = 0.7 + 0.6 * random.NextDouble(),
            Skin = skin,
            Lips = Rgb.From(skin.R * lipRed + 25, skin.G * 0.62, skin.B * 0.68),
            Iris = iris,
            Hair = hair,
            HairStyle = hairStyle,
            Glasses = random.NextDouble() < 0.2,
            GlassesFrame = random.NextDouble() < 0.6 ? Rgb.From(25, 25, 30) : Rgb.From(120 + 60 * random.NextDouble(), 80 + 40 * random.NextDouble(), 50),
        };
    }

    /// <summary>A skin colour from very light (<paramref name="tone"/> 0) to very dark (1), with a hue shift.</summary>
    public static Rgb SkinTone(double tone, double hue)
    {
        // Anchors along the range of human skin colour (sRGB).
        ReadOnlySpan<double> r = [245, 232, 205, 170, 128, 88];
        ReadOnlySpan<double> g = [215, 192, 158, 118, 84, 58];
        ReadOnlySpan<double> b = [195, 165, 125, 88, 60, 42];
        var t = Math.Clamp(tone, 0, 1) * (r.Length - 1);
        var i = Math.Min((int)t, r.Length - 2);
        var f = t - i;
        var shift = (hue - 0.5) * 14;
        return Rgb.From(r[i] + f * (r[i + 1] - r[i]) + shift * 0.3, g[i] + f * (g[i + 1] - g[i]) - shift * 0.2, b[i] + f * (b[i + 1] - b[i]) - shift * 0.5);
    }

    private static Rgb Grey(double value) => Rgb.From(value, value * 0.98, value * 0.96);

    /// <summary>An index drawn with the given probabilities (which sum to 1).</summary>
    internal static int Pick(ref SeededRandom random, ReadOnlySpan<double> probabilities)
    {
        var u = random.NextDouble();
        for (var i = 0; i < probabilities.Length - 1; i++)
        {
            u -= probabilities[i];
            if (u < 0)
            {
                return i;
            }
        }

        return probabilities.Length - 1;
    }
}

/// <summary>The background behind a person: what the seed images' contexts vary.</summary>
/// <param name="Colour">The main colour.</param>
/// <param name="Secondary">The colour of the pattern.</param>
/// <param name="Pattern">The pattern.</param>
public sealed record SceneBackground(Rgb Colour, Rgb Secondary, BackgroundPattern Pattern);

/// <summary>
/// Everything that makes one image: the person (identity, expression), where the face sits in the frame, the lighting,
/// the background and the clothing. <see cref="FaceRenderer"/> draws it; <see cref="FaceRenderer.Layout"/> gives its
/// geometry.
/// </summary>
public sealed record FaceScene
{
    /// <summary>The person.</summary>
    public required FaceIdentity Identity { get; init; }

    /// <summary>The expression.</summary>
    public required FaceExpression Expression { get; init; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; init; } = 256;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; init; } = 256;

    /// <summary>Horizontal position of the face centre in pixels.</summary>
    public double CentreX { get; init; } = 128;

    /// <summary>Vertical position of the face centre in pixels.</summary>
    public double CentreY { get; init; } = 128;

    /// <summary>Pixels per face unit (half the face width).</summary>
    public double Scale { get; init; } = 48;

    /// <summary>Head roll in degrees before the expression's head tilt (pose jitter).</summary>
    public double Roll { get; init; }

    /// <summary>Direction the light comes from, in degrees (0: from the right, 90: from above, 180: from the left).</summary>
    public double LightAngle { get; init; } = 120;

    /// <summary>Strength of directional shading in <c>[0, 1]</c>.</summary>
    public double LightStrength { get; init; } = 0.5;

    /// <summary>The background.</summary>
    public SceneBackground Background { get; init; } = new(new Rgb(200, 200, 200), new Rgb(170, 170, 170), BackgroundPattern.Plain);

    /// <summary>The colour of the clothing.</summary>
    public Rgb Clothing { get; init; } = new(60, 80, 120);

    /// <summary>
    /// Places a face in a frame of random size (160-320 px per side): random scale, off-centre position (the whole
    /// head stays inside), pose jitter and lighting.
    /// </summary>
    public static FaceScene Random(
        FaceIdentity identity, FaceExpression expression, SceneBackground background, Rgb clothing, ref SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var width = 160 + random.NextInt(161);
        var aspect = 0.8 + 0.45 * random.NextDouble();
        var height = (int)Math.Clamp(Math.Round(width * aspect), 160, 320);
        var side = Math.Min(width, height);

        // The head (hair included) spans about 2.9 units across and 3.4 down; keep it inside with a margin.
        var scale = side * (0.15 + 0.07 * random.NextDouble());
        var halfWidth = 1.55 * scale;
        var up = 1.9 * scale * identity.FaceLength;
        var down = 1.75 * scale * identity.FaceLength;
        var centreX = halfWidth + (width - 2 * halfWidth) * random.NextDouble();
        var centreY = up + Math.Max(0, height - up - down) * random.NextDouble();
        return new FaceScene
        {
            Identity = identity,
            Expression = expression,
            Width = width,
            Height = height,
            CentreX = centreX,
            CentreY = centreY,
            Scale = scale,
            Roll = 6 * (random.NextDouble() * 2 - 1),
            LightAngle = 30 + 120 * random.NextDouble(),
            LightStrength = 0.25 + 0.5 * random.NextDouble(),
            Background = background,
            Clothing = clothing,
        };
    }
}
