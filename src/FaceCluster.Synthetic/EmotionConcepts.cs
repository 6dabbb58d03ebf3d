namespace FaceCluster.Synthetic;

/// <summary>The 48 emotion concepts that participants rated in Brooks et al. 2024, in the column order of a study.</summary>
public static class EmotionConcepts
{
    /// <summary>The concept keys, alphabetical as in the paper's figures.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "Admiration", "Adoration", "Aesthetic Appreciation", "Amusement", "Anger", "Anxiety", "Awe", "Awkwardness",
        "Boredom", "Calmness", "Concentration", "Confusion", "Contemplation", "Contempt", "Contentment", "Craving",
        "Desire", "Determination", "Disappointment", "Disgust", "Distress", "Doubt", "Ecstasy", "Embarrassment",
        "Empathic Pain", "Entrancement", "Envy", "Excitement", "Fear", "Guilt", "Horror", "Interest",
        "Joy", "Love", "Nostalgia", "Pain", "Pride", "Realization", "Relief", "Romance",
        "Sadness", "Satisfaction", "Shame", "Surprise (negative)", "Surprise (positive)", "Sympathy", "Tiredness", "Triumph",
    ];

    /// <summary>The countries of the paper and the language each rated in.</summary>
    public static IReadOnlyDictionary<string, string> Languages { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["CN"] = "zh", ["ET"] = "am", ["IN"] = "en", ["ZA"] = "en", ["US"] = "en", ["VE"] = "es",
    };

    /// <summary>The countries of the paper, in its order.</summary>
    public static IReadOnlyList<string> Countries { get; } = ["CN", "ET", "IN", "ZA", "US", "VE"];
}
