namespace FaceCluster.Synthetic; internal static class ProjectPlaceholder { }
