using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace FaceCluster.Testing;

/// <summary>
/// Real headless Chromium for tests, driven by Playwright with the system's browser (<c>FACECLUSTER_CHROMIUM</c>, else
/// <c>/usr/bin/chromium</c>): Playwright's own browser download is not used, so nothing is fetched at test time.
/// Open a page with <see cref="OpenAsync"/> (one call: load, set up, settle, report) or <see cref="NewPageAsync"/>
/// (a <see cref="BrowserPage"/> to drive step by step, then <see cref="BrowserPage.ReportAsync"/>).
/// </summary>
/// <example>
/// <code>
/// HeadlessBrowser.SkipUnlessInstalled();
/// await using var browser = await HeadlessBrowser.LaunchAsync();
/// var report = await browser.OpenAsync(new Uri("file:///tmp/report.html"), "report");
/// Assert.Empty(report.Problems);
/// </code>
/// </example>
public sealed class HeadlessBrowser : IAsyncDisposable
{
    /// <summary>The environment variable that names the Chromium executable.</summary>
    public const string ChromiumVariable = "FACECLUSTER_CHROMIUM";

    private const string DefaultChromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private HeadlessBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>The Chromium executable, or null when it is not installed.</summary>
    public static string? ChromiumPath
    {
        get
        {
            var path = Environment.GetEnvironmentVariable(ChromiumVariable);
            path = string.IsNullOrWhiteSpace(path) ? DefaultChromium : path;
            return File.Exists(path) ? path : null;
        }
    }

    /// <summary>Skips the calling test (xunit v3) when Chromium is missing, saying how to install it.</summary>
    public static void SkipUnlessInstalled()
    {
        if (ChromiumPath is null)
        {
            Assert.Skip($"Chromium is not installed: apt-get install chromium (or set {ChromiumVariable} to its executable); browser tests need it.");
        }
    }

    /// <summary>Starts headless Chromium (call <see cref="SkipUnlessInstalled"/> first).</summary>
    public static async Task<HeadlessBrowser> LaunchAsync()
    {
        var executable = ChromiumPath ?? throw new InvalidOperationException("Chromium is not installed: apt-get install chromium.");
        var playwright = await Playwright.CreateAsync().ConfigureAwait(false);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                // Tests run as root in containers, where Chromium's sandbox cannot start; /dev/shm is often tiny there.
                Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            }).ConfigureAwait(false);
            return new HeadlessBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>The repository root (the folder of <c>FaceCluster.sln</c> above the test's binaries).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "FaceCluster.sln")))
                {
                    return folder.FullName;
                }
            }

            throw new InvalidOperationException($"No FaceCluster.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Where screenshots go: <c>artifacts/screenshots</c> under the repository root (CI keeps <c>artifacts/</c>).</summary>
    public static string ScreenshotFolder => Path.Combine(RepositoryRoot, "artifacts", "screenshots");

    /// <summary>A fresh page (its own context: no storage shared with other pages) that records what happens on it.</summary>
    public async Task<BrowserPage> NewPageAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } }).ConfigureAwait(false);
        var page = await context.NewPageAsync().ConfigureAwait(false);
        return new BrowserPage(context, page);
    }

    /// <summary>
    /// Opens <paramref name="url"/> (http(s) or file://), runs <paramref name="setup"/> on the loaded page, waits for it to
    /// settle and reports it, with a screenshot named <paramref name="name"/>.
    /// </summary>
    public async Task<PageReport> OpenAsync(Uri url, string name, Func<IPage, Task>? setup = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        await using var page = await NewPageAsync().ConfigureAwait(false);
        await page.GotoAsync(url).ConfigureAwait(false);
        if (setup is not null)
        {
            await setup(page.Page).ConfigureAwait(false);
        }

        return await page.ReportAsync(name).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync().ConfigureAwait(false);
        _playwright.Dispose();
    }
}

/// <summary>A page of <see cref="HeadlessBrowser"/>, with everything it logged and requested since it was opened.</summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly ConcurrentQueue<string> _failedRequests = new();
    private Uri? _origin;

    internal BrowserPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => _pageErrors.Enqueue(error);
        page.Request += (_, request) => _requests.Enqueue(request.Url);
        page.RequestFailed += (_, request) => _failedRequests.Enqueue($"{request.Method} {request.Url}: {request.Failure}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                _failedRequests.Enqueue($"{response.Request.Method} {response.Url}: {response.Status}");
            }
        };
    }

    /// <summary>The Playwright page, to drive.</summary>
    public IPage Page { get; }

    /// <summary>Every URL the page requested so far, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Loads <paramref name="url"/>; its origin is the page's own from now on (for a file:// URL, the file itself).</summary>
    public async Task GotoAsync(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        _origin = url;
        await Page.GotoAsync(url.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load }).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the page to settle (network idle), then reports it and saves a full-page screenshot as
    /// <c>artifacts/screenshots/<paramref name="name"/>.png</c>.
    /// </summary>
    public async Task<PageReport> ReportAsync(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        try
        {
            await Page.WaitForLoadStateAsync(LoadState.NetworkIdle, new PageWaitForLoadStateOptions { Timeout = 10_000 }).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A page that polls may never be idle for long: report what it shows now.
        }

        var broken = new List<string>();
        var frameTexts = new List<string>();
        foreach (var frame in Page.Frames)
        {
            // Images that finished loading without pixels, or never finished: in every frame (a report in an iframe too).
            broken.AddRange(await frame.EvaluateAsync<string[]>(
                "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => (i.currentSrc || i.src || '(no src)').slice(0, 200))").ConfigureAwait(false));
            if (frame != Page.MainFrame)
            {
                frameTexts.Add(await frame.EvaluateAsync<string>("() => document.body ? document.body.innerText : ''").ConfigureAwait(false));
            }
        }

        var text = await Page.EvaluateAsync<string>("() => document.body ? document.body.innerText : ''").ConfigureAwait(false);
        Directory.CreateDirectory(HeadlessBrowser.ScreenshotFolder);
        var screenshot = Path.Combine(HeadlessBrowser.ScreenshotFolder, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true }).ConfigureAwait(false);
        return new PageReport(
            [.. _consoleErrors],
            [.. _pageErrors],
            [.. _requests.Where(url => !IsOwn(url)).Distinct()],
            [.. _failedRequests],
            broken,
            text,
            frameTexts,
            screenshot);
    }

    /// <summary>
    /// Whether a request stays on the page: <c>data:</c>, <c>blob:</c> and <c>about:</c> always; for an http(s) page its
    /// own origin; for a file:// page only the file itself (a self-contained file requests nothing else).
    /// </summary>
    private bool IsOwn(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (uri.Scheme is "data" or "blob" or "about")
        {
            return true;
        }

        if (_origin is null)
        {
            return false;
        }

        return _origin.IsFile
            ? uri.IsFile && string.Equals(uri.LocalPath, _origin.LocalPath, StringComparison.Ordinal)
            : Uri.Compare(uri, _origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync() => await _context.CloseAsync().ConfigureAwait(false);
}

/// <summary>What a page did and showed.</summary>
/// <param name="ConsoleErrors">Console messages of level error (CSP violations and failed loads among them).</param>
/// <param name="PageErrors">Uncaught exceptions of the page's scripts.</param>
/// <param name="ExternalRequests">Requests that left the page: another origin (http page), anything but the file itself (file:// page).</param>
/// <param name="FailedRequests">Requests that failed or were answered 400 or above.</param>
/// <param name="BrokenImages">Images (of every frame) that did not load or have no pixels.</param>
/// <param name="Text">The visible text of the page.</param>
/// <param name="FrameTexts">The visible text of each child frame.</param>
/// <param name="ScreenshotPath">The full-page PNG.</param>
public sealed record PageReport(
    IReadOnlyList<string> ConsoleErrors,
    IReadOnlyList<string> PageErrors,
    IReadOnlyList<string> ExternalRequests,
    IReadOnlyList<string> FailedRequests,
    IReadOnlyList<string> BrokenImages,
    string Text,
    IReadOnlyList<string> FrameTexts,
    string ScreenshotPath)
{
    /// <summary>Every console error, page error, external request and broken image, one line each (empty: a clean page).</summary>
    public IReadOnlyList<string> Problems =>
    [
        .. ConsoleErrors.Select(e => "console error: " + e),
        .. PageErrors.Select(e => "page error: " + e),
        .. ExternalRequests.Select(r => "external request: " + r),
        .. BrokenImages.Select(i => "broken image: " + i),
    ];
}
