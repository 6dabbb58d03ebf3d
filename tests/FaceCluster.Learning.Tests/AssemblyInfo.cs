using FaceCluster.Learning.Tests.Support;

[assembly: AssemblyFixture(typeof(TinyStudy))]

// Torch tests share the process's threads and memory; one at a time keeps timings and memory predictable on 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
