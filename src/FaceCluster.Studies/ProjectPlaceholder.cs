namespace FaceCluster.Studies; internal static class ProjectPlaceholder { }
