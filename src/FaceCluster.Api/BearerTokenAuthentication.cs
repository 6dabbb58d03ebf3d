using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace FaceCluster.Api;

/// <summary>
/// The set of accepted bearer tokens, kept as SHA-256 hashes: a presented token is hashed and compared with every
/// accepted hash by <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor the length of a
/// token leaks through timing. Tokens are never logged nor put in messages.
/// </summary>
public sealed class ApiTokens
{
    private readonly byte[][] _hashes;

    /// <summary>Keeps the hashes of <paramref name="tokens"/> (blank ones ignored).</summary>
    public ApiTokens(IEnumerable<string> tokens, bool allowAnonymous)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _hashes = [.. tokens.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Select(Hash)];
        AllowAnonymous = allowAnonymous;
    }

    /// <summary>Whether there are no tokens and anonymous callers are allowed.</summary>
    public bool AllowAnonymous { get; }

    /// <summary>Accepted tokens.</summary>
    public int Count => _hashes.Length;

    /// <summary>Whether <paramref name="token"/> is accepted (compares with every token, in constant time per token).</summary>
    public bool IsValid(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var hash = Hash(token);
        var valid = false;
        foreach (var accepted in _hashes)
        {
            valid |= CryptographicOperations.FixedTimeEquals(hash, accepted);
        }

        return valid;
    }

    /// <summary>The tokens of <paramref name="options"/> and of the environment variable <c>FACECLUSTER_API_TOKENS</c>.</summary>
    public static ApiTokens From(FaceClusterApiOptions options, string? environmentTokens)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tokens = options.Tokens.Concat((environmentTokens ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        var result = new ApiTokens(tokens, options.AllowAnonymous);
        if (result.Count == 0 && !options.AllowAnonymous)
        {
            throw new InvalidOperationException(
                $"The FaceCluster HTTP API has no bearer tokens: set {FaceClusterApiOptions.SectionName}:Tokens or {FaceClusterApiOptions.TokensVariable}, "
                + $"or {FaceClusterApiOptions.SectionName}:AllowAnonymous=true to accept every caller.");
        }

        return result;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

/// <summary>The <c>Bearer</c> authentication scheme of the API: <c>Authorization: Bearer TOKEN</c> against <see cref="ApiTokens"/>.</summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokens tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (tokens.AllowAnonymous && tokens.Count == 0)
        {
            return Task.FromResult(Success("anonymous"));
        }

        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header is not a bearer token."));
        }

        // The message never contains the token.
        return Task.FromResult(tokens.IsValid(header[prefix.Length..].Trim()) ? Success("token") : AuthenticateResult.Fail("Invalid bearer token."));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return Task.CompletedTask;
    }

    private static AuthenticateResult Success(string name)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
