using FaceCluster.Analysis;

namespace FaceCluster.Synthetic;

/// <summary>A concept and how strongly a planted dimension means it in one country.</summary>
/// <param name="Concept">The concept key.</param>
/// <param name="Weight">The weight (about 0.3-1.2).</param>
public sealed record ConceptWeight(string Concept, double Weight);

/// <summary>
/// One planted expression dimension: a sparse pattern in the facial-movement space and what it means in each country.
/// </summary>
public sealed class PlantedDimension
{
    internal PlantedDimension(int index, string? prototype, double[] pattern, bool isUniversal, Dictionary<string, ConceptWeight[]> meanings)
    {
        Index = index;
        Name = FormattableString.Invariant($"D{index + 1:D2}");
        Prototype = prototype;
        Pattern = pattern;
        IsUniversal = isUniversal;
        Meanings = meanings.ToDictionary(p => p.Key, p => (IReadOnlyList<ConceptWeight>)p.Value, StringComparer.Ordinal);
    }

    /// <summary>0-based index.</summary>
    public int Index { get; }

    /// <summary>Name in <c>truth.json</c>: <c>D01</c>, <c>D02</c>, ….</summary>
    public string Name { get; }

    /// <summary>The prototype expression it was modelled on (for example <c>joy</c>), or <see langword="null"/> for a random pattern.</summary>
    public string? Prototype { get; }

    /// <summary>The movement pattern: one weight per <see cref="FacialMovement"/> (most zero).</summary>
    public IReadOnlyList<double> Pattern { get; }

    /// <summary>Whether it means the same concepts in every country.</summary>
    public bool IsUniversal { get; }

    /// <summary>Its concepts and weights per country; an empty list where it means nothing.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ConceptWeight>> Meanings { get; }
}

/// <summary>The background and clothing of a seed image: the context whose features bias the seed's raters.</summary>
/// <param name="Background">The background.</param>
/// <param name="Clothing">The clothing colour.</param>
public sealed record SeedContext(SceneBackground Background, Rgb Clothing)
{
    /// <summary>The names of <see cref="Features"/>.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } =
        ["background_warmth", "background_brightness", "stripes", "dots", "checks", "clothing_warmth"];

    /// <summary>The features raters react to, in <see cref="FeatureNames"/> order.</summary>
    public double[] Features() =>
    [
        Background.Colour.Warmth,
        Background.Colour.Brightness - 0.5,
        Background.Pattern == BackgroundPattern.Stripes ? 1 : 0,
        Background.Pattern == BackgroundPattern.Dots ? 1 : 0,
        Background.Pattern == BackgroundPattern.Checks ? 1 : 0,
        Clothing.Warmth,
    ];
}

/// <summary>One seed image: its planted activations, context and scene.</summary>
/// <param name="Index">0-based index.</param>
/// <param name="Id">The image and seed id.</param>
/// <param name="Path">Path relative to the study folder.</param>
/// <param name="Activations">Activation of each planted dimension (a few non-zero).</param>
/// <param name="Context">Background and clothing.</param>
/// <param name="Scene">What is drawn.</param>
public sealed record SeedSpec(int Index, string Id, string Path, IReadOnlyList<double> Activations, SeedContext Context, FaceScene Scene);

/// <summary>One mimic image: who made it, of which seed, and what is drawn.</summary>
/// <param name="Index">0-based index over all mimics (seed-major).</param>
/// <param name="Id">The image id.</param>
/// <param name="SeedIndex">0-based index of the seed imitated.</param>
/// <param name="SeedId">Id of the seed imitated.</param>
/// <param name="Country">Country of the participant who made it.</param>
/// <param name="ParticipantId">The participant who made it.</param>
/// <param name="Path">Path relative to the study folder.</param>
/// <param name="Scene">What is drawn: the participant's identity, the imitated expression.</param>
public sealed record MimicSpec(long Index, string Id, int SeedIndex, string SeedId, string Country, string ParticipantId, string Path, FaceScene Scene);

/// <summary>A selected concept of a rating event.</summary>
/// <param name="Concept">Index into <see cref="SyntheticStudy.Concepts"/>.</param>
/// <param name="Intensity">1-100.</param>
public readonly record struct ConceptRating(int Concept, double Intensity);

/// <summary>One rater judging one mimic image, with the concepts selected.</summary>
/// <param name="EventId">Unique id.</param>
/// <param name="RaterId">The rater.</param>
/// <param name="Country">The rater's country.</param>
/// <param name="ImageId">The mimic judged.</param>
/// <param name="Phase"><c>self_report</c> or <c>perceiver</c>.</param>
/// <param name="Ratings">The selected concepts (at least one).</param>
public sealed record RatingEvent(string EventId, string RaterId, string Country, string ImageId, string Phase, IReadOnlyList<ConceptRating> Ratings);

/// <summary>
/// A synthetic study with a known answer: planted dimensions (movement patterns) with meanings per country, seeds
/// that blend a few dimensions in a context that biases their raters, mimics by participants of every country with
/// imitation noise and their own faces, and the rating events of makers (self-report) and perceivers. Every entity is
/// a pure function of the options and its index (random streams keyed per entity), so any part can be generated
/// alone, in any order, on any thread.
/// </summary>
public sealed class SyntheticStudy
{
    /// <summary>The phase of a maker judging the seed being imitated.</summary>
    public const string SelfReport = "self_report";

    /// <summary>The phase of other raters judging a mimic image.</summary>
    public const string Perceiver = "perceiver";

    private const long DesignTag = 0x5EED_0001;
    private const long SeedTag = 0x5EED_0002;
    private const long MimicTag = 0x5EED_0003;
    private const long ParticipantTag = 0x5EED_0004;
    private const long RaterTag = 0x5EED_0005;
    private const long SelfReportTag = 0x5EED_0006;
    private const long PerceiverTag = 0x5EED_0007;

    /// <summary>Selection threshold on the latent meaning of a concept.</summary>
    private const double Threshold = 0.3;

    /// <summary>Sd of the noise on each concept's latent meaning.</summary>
    private const double RatingNoise = 0.1;

    /// <summary>Probability of selecting an unrelated concept.</summary>
    private const double FalseAlarm = 0.01;

    private static readonly (string Name, (FacialMovement Movement, double Weight)[] Pattern, string[] Concepts)[] Prototypes =
    [
        ("joy", [(FacialMovement.CheekRaise, 0.8), (FacialMovement.LipCornerPull, 1.0)], ["Joy", "Amusement"]),
        ("surprise", [(FacialMovement.BrowInnerRaise, 0.8), (FacialMovement.BrowOuterRaise, 0.9), (FacialMovement.UpperLidRaise, 0.9), (FacialMovement.JawDrop, 0.6)], ["Surprise (positive)", "Awe"]),
        ("anger", [(FacialMovement.BrowLower, 1.0), (FacialMovement.LidTighten, 0.7), (FacialMovement.LipPress, 0.8)], ["Anger", "Determination"]),
        ("sadness", [(FacialMovement.BrowInnerRaise, 1.0), (FacialMovement.LipCornerDepress, 0.9), (FacialMovement.GazeY, 0.5)], ["Sadness", "Disappointment"]),
        ("disgust", [(FacialMovement.NoseWrinkle, 1.0), (FacialMovement.UpperLipRaise, 0.8), (FacialMovement.BrowLower, 0.3)], ["Disgust", "Contempt"]),
        ("fear", [(FacialMovement.BrowInnerRaise, 0.9), (FacialMovement.BrowLower, 0.4), (FacialMovement.UpperLidRaise, 1.0), (FacialMovement.LipStretch, 0.8)], ["Fear", "Horror"]),
        ("pain", [(FacialMovement.BrowLower, 0.8), (FacialMovement.LidTighten, 1.0), (FacialMovement.CheekRaise, 0.5), (FacialMovement.UpperLipRaise, 0.6)], ["Pain", "Empathic Pain"]),
        ("concentration", [(FacialMovement.BrowLower, 0.5), (FacialMovement.LipPress, 0.5), (FacialMovement.GazeY, 0.4)], ["Concentration", "Contemplation"]),
        ("tiredness", [(FacialMovement.LidTighten, 0.7), (FacialMovement.JawDrop, 0.3), (FacialMovement.HeadTilt, 0.5)], ["Tiredness", "Boredom"]),
        ("interest", [(FacialMovement.BrowOuterRaise, 0.6), (FacialMovement.UpperLidRaise, 0.4), (FacialMovement.HeadTurn, 0.4)], ["Interest", "Realization"]),
        ("adoration", [(FacialMovement.CheekRaise, 0.5), (FacialMovement.LipCornerPull, 0.5), (FacialMovement.HeadTilt, -0.6), (FacialMovement.GazeY, -0.3)], ["Adoration", "Love"]),
        ("confusion", [(FacialMovement.BrowLower, 0.5), (FacialMovement.BrowInnerRaise, 0.4), (FacialMovement.HeadTilt, 0.6), (FacialMovement.LipPress, 0.3)], ["Confusion", "Doubt"]),
        ("awe", [(FacialMovement.BrowInnerRaise, 0.6), (FacialMovement.BrowOuterRaise, 0.6), (FacialMovement.JawDrop, 0.5), (FacialMovement.GazeY, -0.7)], ["Awe", "Admiration"]),
        ("embarrassment", [(FacialMovement.LipPress, 0.5), (FacialMovement.LipCornerPull, 0.3), (FacialMovement.GazeY, 0.7), (FacialMovement.HeadTurn, -0.5)], ["Embarrassment", "Shame"]),
        ("desire", [(FacialMovement.LipPucker, 0.7), (FacialMovement.LidTighten, 0.3), (FacialMovement.HeadTilt, 0.3)], ["Desire", "Romance"]),
        ("triumph", [(FacialMovement.JawDrop, 0.8), (FacialMovement.LipStretch, 0.6), (FacialMovement.CheekRaise, 0.6), (FacialMovement.BrowLower, 0.4)], ["Triumph", "Excitement"]),
        ("calmness", [(FacialMovement.LidTighten, 0.3), (FacialMovement.LipCornerPull, 0.25), (FacialMovement.GazeX, 0.5)], ["Calmness", "Contentment"]),
    ];

    // Typical skin tones of each country's participants (0 lightest, 1 darkest): the lowest tone and the range.
    private static readonly Dictionary<string, (double Low, double Range)> SkinTones = new(StringComparer.Ordinal)
    {
        ["CN"] = (0.08, 0.3), ["ET"] = (0.5, 0.45), ["IN"] = (0.3, 0.45), ["ZA"] = (0.15, 0.8), ["US"] = (0.0, 0.9), ["VE"] = (0.12, 0.55),
    };

    private readonly double[][] _meaning;
    private readonly double[][] _patterns;
    private readonly double[][] _contextBias;
    private readonly int _participantLoad;
    private readonly int _raterPool;

    private SyntheticStudy(SyntheticStudyOptions options)
    {
        Options = options;
        Countries = [.. options.Countries];
        Concepts = [.. EmotionConcepts.All.Take(options.Concepts)];
        SeedCount = options.SeedCount;
        MimicsPerSeed = options.MimicsPerSeedCount;
        var random = new SeededRandom(options.Seed, RandomPurpose.SyntheticData, DesignTag, 0);
        Dimensions = PlantDimensions(ref random);
        _patterns = [.. Dimensions.Select(d => d.Pattern.ToArray())];

        // Meaning matrices per country: dimension x concept.
        _meaning = new double[Countries.Count][];
        for (var c = 0; c < Countries.Count; c++)
        {
            _meaning[c] = new double[Dimensions.Count * Concepts.Count];
            foreach (var dimension in Dimensions)
            {
                foreach (var weight in dimension.Meanings[Countries[c]])
                {
                    _meaning[c][dimension.Index * Concepts.Count + IndexOf(Concepts, weight.Concept)] = weight.Weight;
                }
            }
        }

        // Context features bias a few concepts each.
        _contextBias = new double[SeedContext.FeatureNames.Count][];
        for (var k = 0; k < _contextBias.Length; k++)
        {
            _contextBias[k] = new double[Concepts.Count];
            for (var j = 0; j < 3; j++)
            {
                _contextBias[k][random.NextInt(Concepts.Count)] += (random.NextDouble() < 0.5 ? -1 : 1) * (0.15 + 0.2 * random.NextDouble());
            }
        }

        _participantLoad = Math.Min(options.MimicsPerParticipant, SeedCount);
        var perCountry = (long)SeedCount * ((MimicsPerSeed + Countries.Count - 1) / Countries.Count);
        _raterPool = (int)Math.Max(options.PerceiverEventsPerMimic + 1, (perCountry * options.PerceiverEventsPerMimic + 39) / 40);
    }

    /// <summary>The options the study follows from.</summary>
    public SyntheticStudyOptions Options { get; }

    /// <summary>The countries, in manifest order.</summary>
    public IReadOnlyList<string> Countries { get; }

    /// <summary>The concept keys, in manifest order.</summary>
    public IReadOnlyList<string> Concepts { get; }

    /// <summary>The planted dimensions.</summary>
    public IReadOnlyList<PlantedDimension> Dimensions { get; }

    /// <summary>The number of seed images.</summary>
    public int SeedCount { get; }

    /// <summary>Mimics per seed.</summary>
    public int MimicsPerSeed { get; }

    /// <summary>The number of mimic images.</summary>
    public long MimicCount => (long)SeedCount * MimicsPerSeed;

    /// <summary>The number of images (seeds and mimics).</summary>
    public long ImageCount => SeedCount + MimicCount;

    /// <summary>How much each context feature adds to each concept's meaning for the seed's raters (feature x concept).</summary>
    public IReadOnlyList<IReadOnlyList<double>> ContextBias => _contextBias;

    /// <summary>Creates the study for <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are not usable (see <see cref="SyntheticStudyOptions.Validate"/>).</exception>
    public static SyntheticStudy Create(SyntheticStudyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        return new SyntheticStudy(options);
    }

    /// <summary>The id of seed <paramref name="index"/>.</summary>
    public static string SeedId(int index) => FormattableString.Invariant($"S{index + 1:D5}");

    /// <summary>The seed at <paramref name="index"/>.</summary>
    public SeedSpec GetSeed(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SeedCount);
        var random = new SeededRandom(Options.Seed, RandomPurpose.SyntheticData, SeedTag, index);
        var activations = new double[Dimensions.Count];
        var active = Math.Min(Dimensions.Count, 1 + FaceIdentity.Pick(ref random, [0.45, 0.35, 0.2]));
        for (var k = 0; k < active; k++)
        {
            int d;
            do
            {
                d = random.NextInt(Dimensions.Count);
            }
            while (activations[d] != 0);
            activations[d] = 0.55 + 0.45 * random.NextDouble();
        }

        var expression = new double[FaceExpression.Count];
        for (var d = 0; d < activations.Length; d++)
        {
            for (var m = 0; m < expression.Length; m++)
            {
                expression[m] += activations[d] * _patterns[d][m];
            }
        }

        var identity = FaceIdentity.Random(ref random);
        var background = new SceneBackground(
            Rgb.FromHsv(360 * random.NextDouble(), 0.15 + 0.45 * random.NextDouble(), 0.45 + 0.45 * random.NextDouble()),
            Rgb.FromHsv(360 * random.NextDouble(), 0.15 + 0.45 * random.NextDouble(), 0.35 + 0.5 * random.NextDouble()),
            (BackgroundPattern)random.NextInt(5));
        var clothing = Rgb.FromHsv(360 * random.NextDouble(), 0.3 + 0.4 * random.NextDouble(), 0.25 + 0.45 * random.NextDouble());
        var scene = FaceScene.Random(identity, new FaceExpression(expression), background, clothing, ref random);
        var id = SeedId(index);
        return new SeedSpec(index, id, $"images/seeds/{id}.jpg", activations, new SeedContext(background, clothing), scene);
    }

    /// <summary>The mimic at <paramref name="index"/> (seed-major: mimics of seed <c>s</c> are <c>s * MimicsPerSeed ...</c>).</summary>
    public MimicSpec GetMimic(long index) => GetMimic(index, GetSeed((int)(index / MimicsPerSeed)));

    /// <summary>The mimic at <paramref name="index"/> of <paramref name="seed"/> (which must be its seed).</summary>
    public MimicSpec GetMimic(long index, SeedSpec seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MimicCount);
        if (index / MimicsPerSeed != seed.Index)
        {
            throw new ArgumentException($"Mimic {index} is not of seed {seed.Id}.", nameof(seed));
        }

        var slot = (int)(index % MimicsPerSeed);
        var (country, participant) = Maker(seed.Index, slot);
        var traits = Participant(country, participant);

        var random = new SeededRandom(Options.Seed, RandomPurpose.SyntheticData, MimicTag, index);
        var target = seed.Scene.Expression.Values;
        var expression = new double[FaceExpression.Count];
        var gain = traits.Gain * (1 + 0.08 * random.NextGaussian());
        for (var m = 0; m < expression.Length; m++)
        {
            expression[m] = gain * target[m] + traits.Noise * random.NextGaussian();
        }

        // A home background: a plain or softly graded wall.
        var wall = Rgb.FromHsv(20 + 60 * random.NextDouble() + (random.NextDouble() < 0.3 ? 160 : 0), 0.05 + 0.25 * random.NextDouble(), 0.55 + 0.4 * random.NextDouble());
        var background = new SceneBackground(
            wall,
            Rgb.FromHsv(360 * random.NextDouble(), 0.1 + 0.2 * random.NextDouble(), 0.4 + 0.4 * random.NextDouble()),
            random.NextDouble() < 0.6 ? BackgroundPattern.Plain : BackgroundPattern.Gradient);
        var clothing = traits.Clothing[random.NextInt(traits.Clothing.Length)];
        var scene = FaceScene.Random(traits.Identity, new FaceExpression(expression), background, clothing, ref random);
        var id = FormattableString.Invariant($"{seed.Id}-M{slot + 1:D3}");
        return new MimicSpec(index, id, seed.Index, seed.Id, Countries[country], ParticipantId(country, participant), $"images/mimics/{seed.Id}/{id}.jpg", scene);
    }

    /// <summary>
    /// The rating events of a mimic: its maker's self-report on the seed (meaning of the seed's planted dimensions in
    /// the maker's country, plus the seed context's bias, the maker's bias and noise), then the perceivers' (raters of
    /// the mimic's country judging the expression they see in the mimic image).
    /// </summary>
    public IReadOnlyList<RatingEvent> Rate(MimicSpec mimic, SeedSpec seed)
    {
        ArgumentNullException.ThrowIfNull(mimic);
        ArgumentNullException.ThrowIfNull(seed);
        var country = IndexOf(Countries, mimic.Country);
        var q = Concepts.Count;
        var events = new List<RatingEvent>(1 + Options.PerceiverEventsPerMimic);

        // Self-report: what the seed means in the maker's country, biased by the seed's context.
        var slot = (int)(mimic.Index % MimicsPerSeed);
        var (_, participant) = Maker(seed.Index, slot);
        var traits = Participant(country, participant);
        var latent = Meaning(country, seed.Activations);
        var features = seed.Context.Features();
        for (var k = 0; k < features.Length; k++)
        {
            for (var j = 0; j < q; j++)
            {
                latent[j] += features[k] * _contextBias[k][j];
            }
        }

        var random = new SeededRandom(Options.Seed, RandomPurpose.SyntheticData, SelfReportTag, mimic.Index);
        events.Add(new RatingEvent(
            mimic.Id + "-self", mimic.ParticipantId, mimic.Country, mimic.Id, SelfReport, Select(latent, traits.Bias, traits.Scale, ref random)));

        // Perceivers: what the expression seen in the mimic means in the mimic's country.
        if (Options.PerceiverEventsPerMimic > 0)
        {
            var perceived = Meaning(country, Decode(mimic.Scene.Expression));
            var ordinal = CountryOrdinal(seed.Index, slot);
            for (var e = 0; e < Options.PerceiverEventsPerMimic; e++)
            {
                var rater = (int)((ordinal * Options.PerceiverEventsPerMimic + e) % _raterPool);
                var raterRandom = new SeededRandom(Options.Seed, RandomPurpose.SyntheticData, RaterTag, ((long)country << 40) + rater);
                var bias = 0.06 * raterRandom.NextGaussian();
                var scale = 0.85 + 0.3 * raterRandom.NextDouble();
                var eventRandom = new SeededRandom(Options.Seed, RandomPurpose.SyntheticData, PerceiverTag, mimic.Index * 64 + e);
                events.Add(new RatingEvent(
                    FormattableString.Invariant($"{mimic.Id}-p{e + 1}"),
                    FormattableString.Invariant($"{mimic.Country}-R{rater + 1:D5}"),
                    mimic.Country,
                    mimic.Id,
                    Perceiver,
                    Select((double[])perceived.Clone(), bias, scale, ref eventRandom)));
            }
        }

        return events;
    }

    /// <summary>
    /// The planted activations a perceiver reads from an expression: non-negative matching pursuit over the planted
    /// patterns (a few steps), so a faithful imitation is read like its seed and imitation noise blurs the reading.
    /// </summary>
    public IReadOnlyList<double> Perceive(FaceExpression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return Decode(expression);
    }

    private double[] Decode(FaceExpression expression)
    {
        var residual = expression.Values.ToArray();
        var activations = new double[_patterns.Length];
        for (var step = 0; step < 4; step++)
        {
            var best = -1;
            var bestScore = 0.05;
            var bestCoefficient = 0.0;
            for (var d = 0; d < _patterns.Length; d++)
            {
                double dot = 0, norm = 0;
                for (var m = 0; m < residual.Length; m++)
                {
                    dot += residual[m] * _patterns[d][m];
                    norm += _patterns[d][m] * _patterns[d][m];
                }

                var score = dot / Math.Sqrt(norm);
                if (score > bestScore)
                {
                    best = d;
                    bestScore = score;
                    bestCoefficient = dot / norm;
                }
            }

            if (best < 0)
            {
                break;
            }

            activations[best] += bestCoefficient;
            for (var m = 0; m < residual.Length; m++)
            {
                residual[m] -= bestCoefficient * _patterns[best][m];
            }
        }

        return activations;
    }

    private double[] Meaning(int country, IReadOnlyList<double> activations)
    {
        var q = Concepts.Count;
        var latent = new double[q];
        var meaning = _meaning[country];
        for (var d = 0; d < activations.Count; d++)
        {
            var a = activations[d];
            if (a == 0)
            {
                continue;
            }

            for (var j = 0; j < q; j++)
            {
                latent[j] += a * meaning[d * q + j];
            }
        }

        return latent;
    }

    private static ConceptRating[] Select(double[] latent, double bias, double scale, ref SeededRandom random)
    {
        var selected = new List<ConceptRating>();
        var best = 0;
        var bestZ = double.NegativeInfinity;
        for (var j = 0; j < latent.Length; j++)
        {
            var z = latent[j] + bias + RatingNoise * random.NextGaussian();
            var falseAlarm = random.NextDouble() < FalseAlarm;
            if (z > bestZ)
            {
                bestZ = z;
                best = j;
            }

            if (z > Threshold)
            {
                selected.Add(new ConceptRating(j, Math.Clamp(Math.Round(100 * scale * z), 1, 100)));
            }
            else if (falseAlarm)
            {
                selected.Add(new ConceptRating(j, Math.Round(5 + 30 * random.NextDouble())));
            }
        }

        if (selected.Count == 0)
        {
            selected.Add(new ConceptRating(best, Math.Clamp(Math.Round(100 * scale * Math.Max(bestZ, 0.1)), 1, 100)));
        }

        return [.. selected];
    }

    private (int Country, int Participant) Maker(int seed, int slot)
    {
        var country = slot % Countries.Count;
        return (country, (int)(CountryOrdinal(seed, slot) / _participantLoad));
    }

    /// <summary>The position of a mimic among its country's mimics, slot-major so that neighbours are different seeds.</summary>
    private long CountryOrdinal(int seed, int slot) => (long)(slot / Countries.Count) * SeedCount + seed;

    private string ParticipantId(int country, int participant) => FormattableString.Invariant($"{Countries[country]}-P{participant + 1:D5}");

    private ParticipantTraits Participant(int country, int participant)
    {
        var random = new SeededRandom(Options.Seed, RandomPurpose.SyntheticData, ParticipantTag, ((long)country << 40) + participant);
        var (low, range) = SkinTones[Countries[country]];
        var identity = FaceIdentity.Random(ref random, low + range * random.NextDouble());
        Rgb[] clothing =
        [
            Rgb.FromHsv(360 * random.NextDouble(), 0.2 + 0.5 * random.NextDouble(), 0.2 + 0.6 * random.NextDouble()),
            Rgb.FromHsv(360 * random.NextDouble(), 0.2 + 0.5 * random.NextDouble(), 0.2 + 0.6 * random.NextDouble()),
        ];
        return new ParticipantTraits(
            identity,
            clothing,
            Noise: 0.05 + 0.08 * random.NextDouble(),
            Gain: 1 + 0.12 * random.NextGaussian(),
            Bias: 0.06 * random.NextGaussian(),
            Scale: 0.85 + 0.3 * random.NextDouble());
    }

    private PlantedDimension[] PlantDimensions(ref SeededRandom random)
    {
        var dimensionCount = Options.Dimensions;
        var q = Concepts.Count;
        var result = new PlantedDimension[dimensionCount];

        // Concepts not claimed by a prototype, in random order, for the random patterns.
        var prototypeConcepts = Prototypes.Take(dimensionCount).SelectMany(p => p.Concepts).Select(c => IndexOf(Concepts, c)).Where(i => i >= 0).ToHashSet();
        var pool = Shuffle(ref random, [.. Enumerable.Range(0, q).Where(i => !prototypeConcepts.Contains(i))]);
        if (pool.Length == 0)
        {
            pool = Shuffle(ref random, [.. Enumerable.Range(0, q)]);
        }

        var next = 0;
        for (var d = 0; d < dimensionCount; d++)
        {
            var pattern = new double[FaceExpression.Count];
            string? prototype = null;
            var concepts = new List<ConceptWeight>();
            if (d < Prototypes.Length)
            {
                var (name, movements, names) = Prototypes[d];
                prototype = name;
                foreach (var (movement, weight) in movements)
                {
                    pattern[(int)movement] = weight;
                }

                var weightOf = 1.0;
                foreach (var concept in names.Where(c => IndexOf(Concepts, c) >= 0))
                {
                    concepts.Add(new ConceptWeight(concept, weightOf));
                    weightOf = 0.5;
                }
            }
            else
            {
                // A random sparse pattern of two to four movements, signed where the movement allows it.
                var movements = 2 + random.NextInt(3);
                for (var k = 0; k < movements; k++)
                {
                    var m = random.NextInt(FaceExpression.Count);
                    var sign = FaceExpression.IsSigned((FacialMovement)m) && random.NextDouble() < 0.5 ? -1 : 1;
                    pattern[m] = sign * (0.5 + 0.5 * random.NextDouble());
                }
            }

            if (concepts.Count == 0)
            {
                concepts.Add(new ConceptWeight(Concepts[pool[next++ % pool.Length]], 1.0));
                if (random.NextDouble() < 0.6)
                {
                    concepts.Add(new ConceptWeight(Concepts[pool[next++ % pool.Length]], 0.3 + 0.3 * random.NextDouble()));
                }
            }

            var universal = d < Options.Universal;
            var meanings = new Dictionary<string, ConceptWeight[]>(StringComparer.Ordinal);
            foreach (var country in Countries)
            {
                var weights = new ConceptWeight[concepts.Count];
                for (var k = 0; k < weights.Length; k++)
                {
                    weights[k] = concepts[k] with { Weight = Math.Round(concepts[k].Weight * (1 + 0.08 * random.NextGaussian()), 3) };
                }

                meanings[country] = weights;
            }

            if (!universal)
            {
                // One to three countries read this dimension differently; the third kind means nothing in one of them.
                var kind = (d - Options.Universal) % 3;
                var differing = Shuffle(ref random, [.. Enumerable.Range(0, Countries.Count)]).Take(Math.Min(Countries.Count, 1 + kind)).ToArray();
                for (var k = 0; k < differing.Length; k++)
                {
                    var country = Countries[differing[k]];
                    if (kind == 2 && k == 0)
                    {
                        meanings[country] = [];
                        continue;
                    }

                    var other = random.NextInt(q);
                    for (var tries = 0; tries < q && concepts.Any(c => c.Concept == Concepts[other]); tries++)
                    {
                        other = (other + 1) % q;
                    }

                    meanings[country] = [new ConceptWeight(Concepts[other], Math.Round(0.8 + 0.3 * random.NextDouble(), 3))];
                }
            }

            result[d] = new PlantedDimension(d, prototype, pattern, universal, meanings);
        }

        return result;
    }

    private static int[] Shuffle(ref SeededRandom random, int[] values)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }

        return values;
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record ParticipantTraits(FaceIdentity Identity, Rgb[] Clothing, double Noise, double Gain, double Bias, double Scale);
}
