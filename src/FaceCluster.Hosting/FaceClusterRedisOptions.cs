using System.Globalization;
using Microsoft.Extensions.Options;

namespace FaceCluster.Hosting;

/// <summary>
/// Where a cluster of FaceCluster processes meets: the Redis server that holds membership and grain state, the cluster
/// id, and the shared data root. Checked by <see cref="FaceClusterRedisOptionsValidator"/>, which names every problem.
/// </summary>
public sealed class FaceClusterRedisOptions
{
    /// <summary>The Redis server, <c>HOST:PORT</c>.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>The cluster id: silos and clients with the same id (and Redis server) form one cluster.</summary>
    public string ClusterId { get; set; } = "facecluster";

    /// <summary>The service id (grain state keys depend on it; keep it stable across deployments).</summary>
    public string ServiceId { get; set; } = "facecluster";

    /// <summary>
    /// The Redis password (<c>AUTH</c>), or null for a server without one. Kept apart from <see cref="ConnectionString"/>
    /// so that it can come from a secret (<c>FACECLUSTER__REDISPASSWORD</c>) and never shows in a message.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>The data root shared by every silo at the same absolute path (silos only; clients leave it empty).</summary>
    public string? DataRoot { get; set; }

    /// <summary>
    /// Parses <c>redis://HOST:PORT/CLUSTER_ID</c> (the form of <c>FACECLUSTER_CLUSTER</c> and <c>--cluster</c>).
    /// </summary>
    /// <exception cref="FormatException">The address is not of that form; the message says what is expected.</exception>
    public static FaceClusterRedisOptions ParseClusterAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        const string scheme = "redis://";
        if (!address.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"a cluster address is redis://HOST:PORT/CLUSTER_ID, got '{address}'");
        }

        var rest = address[scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var options = new FaceClusterRedisOptions
        {
            ConnectionString = slash < 0 ? rest : rest[..slash],
            ClusterId = slash < 0 ? string.Empty : rest[(slash + 1)..].TrimEnd('/'),
        };
        var errors = options.Validate(requireDataRoot: false);
        if (errors.Count > 0)
        {
            throw new FormatException($"bad cluster address '{address}' (expected redis://HOST:PORT/CLUSTER_ID): {string.Join("; ", errors)}");
        }

        return options;
    }

    /// <summary>Every reason these options are unusable, each naming the setting; empty when valid.</summary>
    /// <param name="requireDataRoot">Whether a data root is needed (silos) or not (clients).</param>
    public IReadOnlyList<string> Validate(bool requireDataRoot)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add("the Redis connection string is missing; give HOST:PORT (for example localhost:6379)");
        }
        else if (!TryParseHostPort(ConnectionString, out _, out _))
        {
            errors.Add($"the Redis connection string must be HOST:PORT with a port in 1..65535, got '{ConnectionString}'");
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            errors.Add("the cluster id is empty; give the id shared by every silo and client of the cluster");
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            errors.Add("the service id is empty");
        }

        if (requireDataRoot && string.IsNullOrWhiteSpace(DataRoot))
        {
            errors.Add("the data root is not set; it must be an absolute folder shared by every silo");
        }
        else if (!string.IsNullOrWhiteSpace(DataRoot) && !Path.IsPathFullyQualified(DataRoot))
        {
            errors.Add($"the data root must be an absolute path (the same on every silo), got '{DataRoot}'");
        }

        return errors;
    }

    /// <summary>Splits <c>HOST:PORT</c> (a bracketed IPv6 host is allowed).</summary>
    public static bool TryParseHostPort(string value, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        host = value[..colon];
        if (host.Any(char.IsWhiteSpace) || host.Contains(',', StringComparison.Ordinal)
            || (host.Contains(':', StringComparison.Ordinal) && !(host.StartsWith('[') && host.EndsWith(']'))))
        {
            return false;
        }

        return int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;
    }
}

/// <summary>Checks <see cref="FaceClusterRedisOptions"/> of a silo, naming every problem.</summary>
public sealed class FaceClusterRedisOptionsValidator : IValidateOptions<FaceClusterRedisOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FaceClusterRedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate(requireDataRoot: true);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
