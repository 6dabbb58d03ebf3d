using FaceCluster.Hosting;
using FaceCluster.Tables;

// A FaceCluster silo: settings from --FaceCluster:Key=value arguments and FACECLUSTER__KEY environment variables
// (docs/cluster.md); bad settings are one line on standard error and exit code 2.
try
{
    await FaceClusterSilo.RunAsync(args, new Dictionary<string, string?>(), Console.Error, CancellationToken.None);
    return 0;
}
catch (InvalidInputException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 2;
}
