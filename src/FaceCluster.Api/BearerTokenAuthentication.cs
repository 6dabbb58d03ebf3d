using System.ComponentModel;
using System.Globalization;
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
/// One accepted bearer token (an entry of <c>FaceCluster:Api:Tokens</c>): its name (who submitted a run), the token,
/// and whether it is an admin token (which may cancel every run). A plain string entry is a token without a name.
/// </summary>
[TypeConverter(typeof(ApiTokenOptionsConverter))]
public sealed class ApiTokenOptions
{
    /// <summary>The name: recorded as the submitter of the runs the token submits; null takes a name from its position.</summary>
    public string? Name { get; set; }

    /// <summary>The secret token.</summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>Whether the token may cancel runs that other tokens submitted.</summary>
    public bool Admin { get; set; }
}

/// <summary>Reads the old plain form <c>FaceCluster:Api:Tokens:0=TOKEN</c> as a token without a name.</summary>
internal sealed class ApiTokenOptionsConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string token ? new ApiTokenOptions { Token = token } : base.ConvertFrom(context, culture, value);
}

/// <summary>Who a request authenticated as.</summary>
/// <param name="Name">The token's name.</param>
/// <param name="Admin">Whether it is an admin token.</param>
public sealed record ApiIdentity(string Name, bool Admin);

/// <summary>
/// The set of accepted bearer tokens, kept as SHA-256 hashes with their names: a presented token is hashed and compared
/// with every accepted hash by <see cref="CryptographicOperations.FixedTimeEquals"/>, so neither the content nor the
/// length of a token leaks through timing. Tokens are never logged nor put in messages.
/// </summary>
public sealed class ApiTokens
{
    /// <summary>The claim type that marks an admin token (value <c>true</c>).</summary>
    public const string AdminClaim = "facecluster:admin";

    private readonly (byte[] Hash, ApiIdentity Identity)[] _tokens;

    /// <summary>Keeps the hashes of <paramref name="tokens"/>, which must have names (blank tokens ignored).</summary>
    public ApiTokens(IEnumerable<ApiTokenOptions> tokens, bool allowAnonymous)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = [.. tokens
            .Where(t => !string.IsNullOrWhiteSpace(t.Token))
            .Select(t => (Hash(t.Token.Trim()), new ApiIdentity(t.Name ?? throw new ArgumentException("every token needs a name", nameof(tokens)), t.Admin)))];
        AllowAnonymous = allowAnonymous;
    }

    /// <summary>Whether anonymous callers are allowed (only when there are no tokens).</summary>
    public bool AllowAnonymous { get; }

    /// <summary>Whether the API runs without tokens: every caller is accepted and may cancel every run.</summary>
    public bool Anonymous => AllowAnonymous && _tokens.Length == 0;

    /// <summary>Accepted tokens.</summary>
    public int Count => _tokens.Length;

    /// <summary>Whether <paramref name="token"/> is accepted.</summary>
    public bool IsValid(string? token) => Find(token) is not null;

    /// <summary>The identity of <paramref name="token"/>, or null when it is not accepted (compares with every token).</summary>
    public ApiIdentity? Find(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var hash = Hash(token);
        ApiIdentity? found = null;
        foreach (var (accepted, identity) in _tokens)
        {
            // No early exit: every token is compared.
            if (CryptographicOperations.FixedTimeEquals(hash, accepted))
            {
                found = identity;
            }
        }

        return found;
    }

    /// <summary>The tokens of <paramref name="options"/> and of the environment variable <c>FACECLUSTER_API_TOKENS</c>.</summary>
    /// <exception cref="InvalidOperationException">No tokens without <c>AllowAnonymous</c>, or the tokens contradict each other.</exception>
    public static ApiTokens From(FaceClusterApiOptions options, string? environmentTokens) =>
        new(Entries(options, environmentTokens), options.AllowAnonymous);

    /// <summary>
    /// Every configured token with its name: configured entries without a name are <c>token-N</c> (N their 1-based
    /// position in <c>FaceCluster:Api:Tokens</c>), plain entries of the environment variable <c>env-token-N</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No tokens without <c>AllowAnonymous</c>, a bad name, or contradictions.</exception>
    internal static IReadOnlyList<ApiTokenOptions> Entries(FaceClusterApiOptions options, string? environmentTokens)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entries = new List<(ApiTokenOptions Token, bool Named)>();
        for (var i = 0; i < options.Tokens.Count; i++)
        {
            var token = options.Tokens[i];
            if (!string.IsNullOrWhiteSpace(token.Token))
            {
                entries.Add((new ApiTokenOptions { Name = token.Name ?? $"token-{i + 1}", Token = token.Token.Trim(), Admin = token.Admin }, token.Name is not null));
            }
            else if (token.Name is not null)
            {
                throw new InvalidOperationException($"{FaceClusterApiOptions.SectionName}:Tokens: the token named '{token.Name}' is empty.");
            }
        }

        var plain = 0;
        foreach (var entry in (environmentTokens ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            entries.Add(ParseEnvironmentEntry(entry, ref plain));
        }

        var result = new List<ApiTokenOptions>();
        foreach (var same in entries.GroupBy(e => e.Token.Token, StringComparer.Ordinal))
        {
            // The same plain token twice (in the settings and the environment, say) is one token, as it always was; the same
            // token under different names or rights is a mistake.
            if (same.Count() > 1 && same.Any(e => e.Named || e.Token.Admin))
            {
                throw new InvalidOperationException(
                    $"{FaceClusterApiOptions.SectionName}:Tokens: one token is configured more than once ({string.Join(", ", same.Select(e => e.Token.Name))}).");
            }

            result.Add(same.First().Token);
        }

        foreach (var token in result)
        {
            if (!IsValidName(token.Name!))
            {
                throw new InvalidOperationException(
                    $"{FaceClusterApiOptions.SectionName}:Tokens: the token name '{token.Name}' must be 1-64 letters, digits, '.', '_', '@' or '-'.");
            }
        }

        if (result.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"{FaceClusterApiOptions.SectionName}:Tokens: the name '{twice.Key}' is given to more than one token.");
        }

        if (result.Count == 0 && !options.AllowAnonymous)
        {
            throw new InvalidOperationException(
                $"The FaceCluster HTTP API has no bearer tokens: set {FaceClusterApiOptions.SectionName}:Tokens or {FaceClusterApiOptions.TokensVariable}, "
                + $"or {FaceClusterApiOptions.SectionName}:AllowAnonymous=true to accept every caller.");
        }

        return result;
    }

    /// <summary>
    /// <c>name=TOKEN</c>, <c>name:admin=TOKEN</c> or a plain <c>TOKEN</c>. An entry is plain when what stands before its first
    /// '=' is not a name, or when only '=' follow (the padding of a base64 token).
    /// </summary>
    private static (ApiTokenOptions Token, bool Named) ParseEnvironmentEntry(string entry, ref int plain)
    {
        var equals = entry.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0 && entry[(equals + 1)..].Trim('=').Length > 0)
        {
            var name = entry[..equals];
            var admin = name.EndsWith(":admin", StringComparison.Ordinal);
            name = admin ? name[..^":admin".Length] : name;
            if (IsValidName(name))
            {
                return (new ApiTokenOptions { Name = name, Token = entry[(equals + 1)..].Trim(), Admin = admin }, true);
            }
        }

        plain++;
        return (new ApiTokenOptions { Name = $"env-token-{plain}", Token = entry }, false);
    }

    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}

/// <summary>
/// The <c>Bearer</c> authentication scheme of the API: <c>Authorization: Bearer TOKEN</c> against <see cref="ApiTokens"/>.
/// The principal's name is the token's name; an admin token also has the claim <see cref="ApiTokens.AdminClaim"/>.
/// Tokens in the query string are not accepted (they would end up in logs, proxies and browser histories).
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokens tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (tokens.Anonymous)
        {
            return Task.FromResult(Success(new ApiIdentity("anonymous", Admin: true)));
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
        return Task.FromResult(tokens.Find(header[prefix.Length..].Trim()) is { } identity ? Success(identity) : AuthenticateResult.Fail("Invalid bearer token."));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return Task.CompletedTask;
    }

    private static AuthenticateResult Success(ApiIdentity identity)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, identity.Name) };
        if (identity.Admin)
        {
            claims.Add(new Claim(ApiTokens.AdminClaim, "true"));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }
}
