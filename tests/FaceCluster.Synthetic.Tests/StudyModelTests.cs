namespace FaceCluster.Synthetic.Tests;

public sealed class StudyModelTests
{
    [Fact]
    public void Universal_dimensions_mean_the_same_concepts_everywhere_and_the_others_differ()
    {
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 2, MimicsPerSeed = 6 });

        Assert.Equal(28, study.Dimensions.Count);
        Assert.Equal(21, study.Dimensions.Count(d => d.IsUniversal));
        foreach (var dimension in study.Dimensions)
        {
            var concepts = study.Countries.Select(c => string.Join(",", dimension.Meanings[c].Select(w => w.Concept).Order(StringComparer.Ordinal))).ToArray();
            if (dimension.IsUniversal)
            {
                Assert.Single(concepts.Distinct());
                Assert.NotEqual(string.Empty, concepts[0]);
            }
            else
            {
                Assert.True(concepts.Distinct().Count() > 1, $"{dimension.Name} means the same everywhere");
            }

            Assert.True(dimension.Pattern.Count(v => v != 0) is >= 2 and <= 4, $"{dimension.Name} is not sparse");
        }

        Assert.Contains(study.Dimensions, d => study.Countries.Any(c => d.Meanings[c].Count == 0));
    }

    [Fact]
    public void Self_reports_follow_the_seeds_meanings_in_the_makers_country()
    {
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 120, MimicsPerSeed = 6, Countries = ["US", "CN"] });
        var joy = study.Concepts.ToList().IndexOf("Joy");
        int withJoy = 0, withJoySelected = 0, without = 0, withoutSelected = 0;
        for (var s = 0; s < study.SeedCount; s++)
        {
            var seed = study.GetSeed(s);
            for (var m = 0; m < study.MimicsPerSeed; m++)
            {
                var mimic = study.GetMimic((long)s * study.MimicsPerSeed + m, seed);
                var events = study.Rate(mimic, seed);
                Assert.Equal(1 + study.Options.PerceiverEventsPerMimic, events.Count);
                Assert.Equal(SyntheticStudy.SelfReport, events[0].Phase);
                Assert.Equal(mimic.ParticipantId, events[0].RaterId);
                Assert.All(events, e => Assert.NotEmpty(e.Ratings));
                Assert.All(events.SelectMany(e => e.Ratings), r => Assert.InRange(r.Intensity, 1, 100));
                Assert.All(events.Skip(1), e => Assert.Equal(SyntheticStudy.Perceiver, e.Phase));

                var selected = events[0].Ratings.Any(r => r.Concept == joy);
                if (seed.Activations[0] > 0)
                {
                    withJoy++;
                    withJoySelected += selected ? 1 : 0;
                }
                else
                {
                    without++;
                    withoutSelected += selected ? 1 : 0;
                }
            }
        }

        Assert.True(withJoy > 0);
        Assert.True(withJoySelected > 0.8 * withJoy, $"joy selected in {withJoySelected} of {withJoy} self-reports of joy seeds");
        Assert.True(withoutSelected < 0.1 * without, $"joy selected in {withoutSelected} of {without} other self-reports");
    }

    [Fact]
    public void A_faithful_imitation_is_perceived_like_its_seed()
    {
        var study = SyntheticStudy.Create(new SyntheticStudyOptions { Seeds = 40, MimicsPerSeed = 6 });
        var hits = 0;
        for (var s = 0; s < study.SeedCount; s++)
        {
            var seed = study.GetSeed(s);
            var read = study.Perceive(seed.Scene.Expression);
            var strongest = Enumerable.Range(0, read.Count).MaxBy(d => read[d]);
            hits += seed.Activations[strongest] > 0 ? 1 : 0;
        }

        Assert.True(hits >= 0.85 * study.SeedCount, $"the strongest reading was a planted dimension for {hits} of {study.SeedCount} seeds");
    }

    [Theory]
    [InlineData(0, 6, "seeds")]
    [InlineData(4, 3, "mimics per seed")]
    [InlineData(4, 6, "universal", 5, 6)]
    public void Unusable_options_are_refused(int seeds, int mimics, string fragment, int dims = 28, int universal = 21)
    {
        var options = new SyntheticStudyOptions { Seeds = seeds, MimicsPerSeed = mimics, Dimensions = dims, Universal = universal };
        Assert.Contains(options.Validate(), e => e.Contains(fragment, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => SyntheticStudy.Create(options));
    }
}
