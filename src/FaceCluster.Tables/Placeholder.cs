namespace FaceCluster.Tables; internal static class Placeholder { }
