namespace FaceCluster.Api;

/// <summary>
/// Settings of the HTTP API (configuration section <c>FaceCluster:Api</c>; the data root is <c>FaceCluster:DataRoot</c>).
/// </summary>
/// <remarks>
/// Bearer tokens come from <c>FaceCluster:Api:Tokens</c> (a list) and from the environment variable
/// <c>FACECLUSTER_API_TOKENS</c> (comma-separated). With no token at all the API refuses to start unless
/// <c>FaceCluster:Api:AllowAnonymous=true</c> says that every caller may submit runs (a trusted network only).
/// </remarks>
public sealed class FaceClusterApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "FaceCluster:Api";

    /// <summary>The environment variable of comma-separated tokens.</summary>
    public const string TokensVariable = "FACECLUSTER_API_TOKENS";

    /// <summary>The data root (absolute; the cluster's <c>FaceCluster:DataRoot</c>): request paths are relative to it.</summary>
    public string DataRoot { get; set; } = string.Empty;

    /// <summary>The accepted bearer tokens.</summary>
    public IList<string> Tokens { get; } = [];

    /// <summary>Whether the API may run without tokens (every caller is accepted). False by default.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// Whether <c>/dashboard</c> serves the Orleans Dashboard, behind the bearer tokens like <c>/api</c>. True by default.
    /// Needs the dashboard's services in the application (<c>silo.AddDashboard()</c> on a co-hosted silo;
    /// <see cref="FaceClusterApiHost"/> adds the client side itself) and <c>silo.AddDashboard()</c> on every silo
    /// (<c>facecluster silo</c> adds it unless this is false).
    /// </summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>Whether <c>/metrics</c> (Prometheus) is mapped. True by default; unauthenticated, as scrapers expect.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>Whether <c>/metrics</c> requires a bearer token too. False by default.</summary>
    public bool MetricsRequireToken { get; set; }

    /// <summary>How long <c>/readyz</c> waits for the run registry.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
