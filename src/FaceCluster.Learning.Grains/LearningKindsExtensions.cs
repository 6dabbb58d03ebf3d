using FaceCluster.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace FaceCluster.Learning.Grains;

/// <summary>Registers the run kinds of this project.</summary>
public static class LearningKindsExtensions
{
    /// <summary>Adds the <c>crop</c>, <c>train</c>, <c>predict</c>, <c>morph</c> and <c>pipeline</c> run kinds.</summary>
    public static IServiceCollection AddLearningRunKinds(this IServiceCollection services) => services
        .AddRunKind<CropRunKind>()
        .AddRunKind<TrainRunKind>()
        .AddRunKind<PredictRunKind>()
        .AddRunKind<MorphRunKind>()
        .AddRunKind<PipelineRunKind>();
}
