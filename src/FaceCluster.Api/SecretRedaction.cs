using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace FaceCluster.Api;

/// <summary>
/// Masks secrets in log text: every configured token wherever it stands (path, query, header value, message), the values
/// of query parameters whose names say they are secrets (<c>access_token</c>, <c>token</c>, <c>api_key</c>, ...) and
/// the credentials after <c>Bearer</c> or <c>Basic</c>, valid or not.
/// </summary>
/// <remarks>
/// The tokens are held in clear here (and only here, besides the configuration they came from) because a hash cannot be
/// searched for in a log line. ASP.NET Core's own request logging writes the URL with its query string before any
/// middleware runs, so the masking happens in the loggers.
/// </remarks>
internal sealed partial class LogRedactor
{
    private const string Mask = "***";
    private readonly string[] _secrets;

    public LogRedactor(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);

        // The escaped forms too: a token in a URL may be logged percent-encoded. Longest first, so that a token that
        // contains another is masked whole.
        _secrets = [.. tokens
            .Select(t => t.Trim())
            .Where(t => t.Length > 0)
            .SelectMany(t => new[] { t, Uri.EscapeDataString(t) })
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(t => t.Length)];
    }

    /// <summary><paramref name="text"/> with its secrets masked (the same instance when there are none).</summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        if (text.Contains('=', StringComparison.Ordinal))
        {
            text = SecretQueryValue().Replace(text, "$1" + Mask);
        }

        return Credentials().Replace(text, "$1 " + Mask);
    }

    /// <summary>The values with secrets masked (as strings), or null when none has any.</summary>
    public KeyValuePair<string, object?>[]? Redact(IEnumerable<KeyValuePair<string, object?>> values)
    {
        var copy = values.ToArray();
        var changed = false;
        for (var i = 0; i < copy.Length; i++)
        {
            var (key, value) = copy[i];
            // Numbers, flags and times cannot hold a token; everything else is looked at as text.
            if (value is null or bool or int or long or double or float or decimal or Enum or DateTime or DateTimeOffset or TimeSpan or Guid)
            {
                continue;
            }

            var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            var masked = Redact(text);
            if (!ReferenceEquals(masked, text) && masked != text)
            {
                copy[i] = new(key, masked);
                changed = true;
            }
        }

        return changed ? copy : null;
    }

    // A query parameter whose name mentions a secret: its value up to the next '&', '#', quote or blank.
    [GeneratedRegex(@"([?&;][^=&#\s""'?]*(?:token|key|secret|password|passwd|pwd|auth|signature|sig|code)[^=&#\s""'?]*=)[^&#\s""']*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretQueryValue();

    [GeneratedRegex(@"\b(Bearer|Basic)\s+(?!\*\*\*)[^\s""',;]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Credentials();
}

/// <summary>
/// The application's logger factory with every record, scope and exception passed through a <see cref="LogRedactor"/>
/// before any provider sees it, whatever the category and level (ASP.NET Core's hosting, routing and Kestrel logs
/// included).
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, LogRedactor redactor) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class RedactingLogger(ILogger inner, LogRedactor redactor) : ILogger
    {
        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                var masked = redactor.Redact(values);
                var text = state.ToString() ?? string.Empty;
                var maskedText = redactor.Redact(text);
                return masked is null && maskedText == text ? inner.BeginScope(state) : inner.BeginScope(new RedactedState(masked ?? [.. values], maskedText));
            }

            var plain = state.ToString() ?? string.Empty;
            var redacted = redactor.Redact(plain);
            return redacted == plain ? inner.BeginScope(state) : inner.BeginScope(redacted);
        }

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            var maskedMessage = redactor.Redact(message);
            var values = state as IEnumerable<KeyValuePair<string, object?>>;
            var maskedValues = values is null ? null : redactor.Redact(values);
            var maskedException = exception;
            if (exception is not null)
            {
                var full = exception.ToString();
                var masked = redactor.Redact(full);
                if (masked != full)
                {
                    // Stands for the exception: its type and its masked text (stack included).
                    maskedException = new InvalidOperationException($"{exception.GetType().FullName} (secrets masked): {masked}");
                }
            }

            if (maskedMessage == message && maskedValues is null && ReferenceEquals(maskedException, exception))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var redactedState = new RedactedState(maskedValues ?? (values is null ? [] : [.. values]), maskedMessage);
            inner.Log(logLevel, eventId, redactedState, maskedException, static (s, _) => s.Message);
        }
    }
}

/// <summary>A log state whose values and message had secrets masked.</summary>
internal sealed class RedactedState(IReadOnlyList<KeyValuePair<string, object?>> values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string Message { get; } = message;

    public int Count => values.Count;

    public KeyValuePair<string, object?> this[int index] => values[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Message;
}
