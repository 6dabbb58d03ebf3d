using FaceCluster.Hosting;
using Microsoft.Extensions.Configuration;

namespace FaceCluster.Api.Tests;

/// <summary>The silo settings the Helm chart and the kustomize manifests set (helm/facecluster, k8s/).</summary>
public sealed class DeploymentSettingsTests
{
    private static FaceClusterSiloSettings Read(params (string Key, string Value)[] settings) => FaceClusterSiloSettings.Read(
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Service_id_silo_name_and_redis_password_are_read()
    {
        var defaults = Read(("FaceCluster:Clustering", "redis"), ("FaceCluster:Redis", "redis-0.redis:6379"), ("FaceCluster:DataRoot", "/data"));
        Assert.Equal("facecluster", defaults.ServiceId);
        Assert.Null(defaults.SiloName);
        Assert.Null(defaults.Redis!.Password);
        Assert.Equal("facecluster", defaults.Redis.ServiceId);

        var pod = Read(
            ("FaceCluster:Clustering", "redis"), ("FaceCluster:Redis", "redis.db.svc:6379"), ("FaceCluster:DataRoot", "/data"),
            ("FaceCluster:ServiceId", "faces-prod"), ("FaceCluster:SiloName", "facecluster-silo-cpu-7d9f-x2k4q"), ("FaceCluster:RedisPassword", "p@ss,word="),
            ("FaceCluster:AdvertisedAddress", "10.1.2.3"));
        Assert.Equal("faces-prod", pod.ServiceId);
        Assert.Equal("faces-prod", pod.Redis!.ServiceId);
        Assert.Equal("facecluster-silo-cpu-7d9f-x2k4q", pod.SiloName);
        Assert.Equal("p@ss,word=", pod.Redis.Password);
        Assert.Equal("redis.db.svc:6379", pod.Redis.ConnectionString);
        Assert.Equal("10.1.2.3", pod.Advertised!.ToString());
    }

    [Fact]
    public void A_bad_silo_name_or_empty_service_id_is_refused_by_name()
    {
        var error = Assert.Throws<FaceCluster.Tables.InvalidInputException>(
            () => Read(("FaceCluster:DataRoot", "/data"), ("FaceCluster:SiloName", "a b"), ("FaceCluster:ServiceId", " ")));
        Assert.Contains("FaceCluster:SiloName", error.Message, StringComparison.Ordinal);
        Assert.Contains("FaceCluster:ServiceId", error.Message, StringComparison.Ordinal);
    }
}
