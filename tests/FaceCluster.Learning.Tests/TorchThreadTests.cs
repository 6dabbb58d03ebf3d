using FaceCluster.Learning.Tests.Support;
using FaceCluster.Learning.Training;
using FaceCluster.Torch;
using static TorchSharp.torch;

namespace FaceCluster.Learning.Tests;

/// <summary>
/// libtorch keeps its thread count per OS thread: a pooled thread that once computed with one thread keeps one until
/// told otherwise. Work must set the count on the thread that computes, or its sums (and so a trained model) depend on
/// which thread the scheduler picked. Runs alone: it changes the pool's threads for everyone.
/// </summary>
[Collection(nameof(TorchThreadTests))]
public sealed class TorchThreadTests(TinyStudy study)
{
    [Fact]
    public void The_thread_count_is_set_on_the_calling_thread_whatever_it_held()
    {
        var seen = 0;
        var thread = new Thread(() =>
        {
            set_num_threads(1);
            TorchRuntime.UseThreads(3);
            seen = get_num_threads();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(3, seen);

        var defaulted = 0;
        thread = new Thread(() =>
        {
            set_num_threads(1);
            TorchRuntime.UseThreads(0);
            defaulted = get_num_threads();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(Environment.ProcessorCount, defaulted);
    }

    [Fact]
    public async Task A_training_among_pooled_threads_that_compute_with_one_thread_is_the_same_model()
    {
        // Each training stages its trunk features and continues on the pooled thread that finished writing them.
        var options = TrainingTests.Short with { Threads = 2 };
        var fresh = await TrainAsync(study.NewFolder("threads-fresh"), options);
        using var stop = new CancellationTokenSource();
        try
        {
            // Meanwhile the pool's threads keep computing with one libtorch thread, as crop ranges on a silo with two
            // worker slots on two cores do: whichever thread the training continues on has held one.
            var others = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await Task.WhenAll(Enumerable.Range(0, 2 * Environment.ProcessorCount).Select(_ => Task.Run(() => Compute(1))));
                }
            });
            var pooled = await TrainAsync(study.NewFolder("threads-pooled"), options);
            await stop.CancelAsync();
            await others;
            Assert.Equal(fresh.Manifest.Training!.HeldOutMse, pooled.Manifest.Training!.HeldOutMse);
            TrainingTests.AssertSameWeights(fresh.ModelFolder, pooled.ModelFolder, 0);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(Enumerable.Range(0, 4 * Math.Max(ThreadPool.ThreadCount, Environment.ProcessorCount)).Select(_ => Task.Run(() =>
            {
                Compute(Environment.ProcessorCount);
                Thread.Sleep(50);
            })));
        }
    }

    private Task<TrainingResult> TrainAsync(string folder, TrainingOptions options) =>
        ModelTrainer.TrainAsync(
            new TrainingInputs(study.StudyFolder, study.TargetsPath, study.SmallCropsFolder, folder), options, null, TestContext.Current.CancellationToken);

    /// <summary>A small parallel computation with <paramref name="threads"/> libtorch threads set on this thread.</summary>
    private static void Compute(int threads)
    {
        set_num_threads(threads);
        using var scope = NewDisposeScope();
        ones(64, 64).matmul(ones(64, 64));
    }
}

[CollectionDefinition(nameof(TorchThreadTests), DisableParallelization = true)]
public sealed class TorchThreadTestsRunAlone;
