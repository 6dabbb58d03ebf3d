using System.Net;
using FaceCluster.Hosting;

namespace FaceCluster.Grains.Tests;

public sealed class RedisHostingTests
{
    private static SiloAddress Silo(int port) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 1);

    [Fact]
    public void PreferGpuSilo_picks_only_gpu_silos_when_any_exist()
    {
        var silos = new[] { Silo(1), Silo(2), Silo(3), Silo(4) };
        var roles = new Dictionary<SiloAddress, string> { [silos[0]] = SiloRoles.Cpu, [silos[1]] = SiloRoles.Gpu, [silos[3]] = SiloRoles.Gpu };
        var random = new Random(3);
        var picked = Enumerable.Range(0, 200).Select(_ => PreferGpuSiloPlacementDirector.Choose(silos, s => roles.GetValueOrDefault(s), random)).ToHashSet();
        Assert.Equal(new HashSet<SiloAddress> { silos[1], silos[3] }, picked);
    }

    [Fact]
    public void PreferGpuSilo_falls_back_to_any_silo()
    {
        var silos = new[] { Silo(1), Silo(2) };
        var random = new Random(3);
        var picked = Enumerable.Range(0, 100).Select(_ => PreferGpuSiloPlacementDirector.Choose(silos, _ => SiloRoles.Cpu, random)).ToHashSet();
        Assert.Equal(silos.ToHashSet(), picked);
        Assert.Throws<OrleansException>(() => PreferGpuSiloPlacementDirector.Choose([], _ => null, random));
    }

    [Fact]
    public void Redis_options_name_every_problem()
    {
        var result = new FaceClusterRedisOptionsValidator().Validate(null, new FaceClusterRedisOptions { ConnectionString = "", ClusterId = " ", DataRoot = "relative/data" });
        Assert.True(result.Failed);
        var failures = string.Join("\n", result.Failures!);
        Assert.Contains("connection string is missing", failures, StringComparison.Ordinal);
        Assert.Contains("cluster id is empty", failures, StringComparison.Ordinal);
        Assert.Contains("absolute path", failures, StringComparison.Ordinal);

        var badPort = new FaceClusterRedisOptions { ConnectionString = "redis:99999", ClusterId = "c", DataRoot = "/data" }.Validate(requireDataRoot: true);
        Assert.Contains("HOST:PORT", Assert.Single(badPort), StringComparison.Ordinal);
        Assert.Empty(new FaceClusterRedisOptions { ConnectionString = "redis:6379", ClusterId = "c", DataRoot = "/data" }.Validate(requireDataRoot: true));
        Assert.Contains("data root is not set", Assert.Single(new FaceClusterRedisOptions { ConnectionString = "redis:6379" }.Validate(requireDataRoot: true)), StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_addresses_are_parsed()
    {
        var options = FaceClusterRedisOptions.ParseClusterAddress("redis://10.0.0.5:6380/prod");
        Assert.Equal(("10.0.0.5:6380", "prod"), (options.ConnectionString, options.ClusterId));
        Assert.Throws<FormatException>(() => FaceClusterRedisOptions.ParseClusterAddress("http://x:1/c"));
        Assert.Throws<FormatException>(() => FaceClusterRedisOptions.ParseClusterAddress("redis://x/c"));
        Assert.Throws<FormatException>(() => FaceClusterRedisOptions.ParseClusterAddress("redis://x:1/"));
    }
}
