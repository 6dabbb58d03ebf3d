namespace FaceCluster.Api;

/// <summary>
/// Settings of the HTTP API (configuration section <c>FaceCluster:Api</c>; the data root is <c>FaceCluster:DataRoot</c>).
/// </summary>
/// <remarks>
/// Bearer tokens come from <c>FaceCluster:Api:Tokens</c> (a list of <c>{Name, Token, Admin}</c>, or of plain tokens) and
/// from the environment variable <c>FACECLUSTER_API_TOKENS</c> (comma-separated <c>name=TOKEN</c>,
/// <c>name:admin=TOKEN</c> or plain <c>TOKEN</c>). With no token at all the API refuses to start unless
/// <c>FaceCluster:Api:AllowAnonymous=true</c> says that every caller may submit runs (a trusted network only).
/// </remarks>
public sealed class FaceClusterApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "FaceCluster:Api";

    /// <summary>The address the API listens on unless <see cref="ListenAddress"/> says otherwise: loopback only.</summary>
    public const string DefaultListenAddress = "127.0.0.1";

    /// <summary>The environment variable of comma-separated tokens.</summary>
    public const string TokensVariable = "FACECLUSTER_API_TOKENS";

    /// <summary>The data root (absolute; the cluster's <c>FaceCluster:DataRoot</c>): request paths are relative to it.</summary>
    public string DataRoot { get; set; } = string.Empty;

    /// <summary>The accepted bearer tokens (a plain string entry is a token named after its position, <c>token-N</c>).</summary>
    public IList<ApiTokenOptions> Tokens { get; } = [];

    /// <summary>
    /// The IP address the API listens on: <c>127.0.0.1</c> by default, so that a silo with an API port is not reachable
    /// from other machines unless a deployment says so (<c>0.0.0.0</c> or <c>::</c> for every interface).
    /// </summary>
    public string ListenAddress { get; set; } = DefaultListenAddress;

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

    /// <summary>How long <c>/readyz</c> waits for each of its checks (active silos, grain storage, the run registry).</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <c>GET /api/runs</c> waits for each run's coordinator before it lists the run as unresponsive.</summary>
    public TimeSpan StatusTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
