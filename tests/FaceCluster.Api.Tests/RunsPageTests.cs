using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using FaceCluster.Testing;
using Microsoft.Playwright;

namespace FaceCluster.Api.Tests;

/// <summary>The runs page at <c>GET /</c> and the report endpoint, against a real cluster and in real headless Chromium.</summary>
public sealed class RunsPageTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const string FinishedRun = "page-finished-run";

    // One small finished run serves every test of the class (they run one after the other on the same cluster).
    private static Task<RunStatus>? _finished;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_page_shell_is_static_and_the_api_it_calls_needs_a_token()
    {
        var run = await FinishedAsync();
        using var anonymous = fixture.Client(token: null);
        foreach (var path in new[] { "/", "runs.html" })
        {
            var page = await anonymous.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            AssertPageHeaders(page, RunsPage.PageCsp);
            var html = await page.Content.ReadAsStringAsync(Ct);
            Assert.Contains("/ui/app.js", html, StringComparison.Ordinal);
            Assert.DoesNotContain(run.RunId, html, StringComparison.Ordinal);
            Assert.DoesNotContain(run.OutputPath, html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        }

        foreach (var (path, type) in new[] { ("ui/app.js", "text/javascript"), ("ui/app.css", "text/css") })
        {
            var asset = await anonymous.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal(type, asset.Content.Headers.ContentType?.MediaType);
            AssertPageHeaders(asset, RunsPage.PageCsp);
        }

        using var wrong = fixture.Client("wrong-token-value-42");
        foreach (var path in new[] { "api/runs", $"api/runs/{run.RunId}", $"api/runs/{run.RunId}/report", $"api/runs/{run.RunId}/results" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path, Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path, Ct)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync($"api/runs/{run.RunId}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Without_a_token_the_page_shows_only_the_token_form_and_calls_no_api()
    {
        HeadlessBrowser.SkipUnlessInstalled();
        var run = await FinishedAsync();
        await using var browser = await HeadlessBrowser.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Api.BaseAddress);
        var report = await page.ReportAsync("runs-page-without-token");

        Assert.Empty(report.Problems);
        Assert.Empty(report.FailedRequests);
        Assert.True(await page.Page.IsVisibleAsync("#token-form"));
        Assert.False(await page.Page.IsVisibleAsync("#runs"));
        Assert.False(await page.Page.IsVisibleAsync("#forget"));
        Assert.Contains("API token", report.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(run.RunId, report.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(page.Requests, url => url.Contains("/api/", StringComparison.Ordinal));
        Assert.True(File.Exists(report.ScreenshotPath));
    }

    [Fact]
    public async Task With_a_token_the_page_lists_a_run_with_its_stages_and_final_state_and_forgets_the_token()
    {
        HeadlessBrowser.SkipUnlessInstalled();
        var run = await FinishedAsync();
        await using var browser = await HeadlessBrowser.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Api.BaseAddress);
        await EnterTokenAsync(page.Page, ApiFixture.Token);
        var row = page.Page.Locator($"tr[data-run-id='{run.RunId}'][data-state='completed']");
        await row.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        var report = await page.ReportAsync("runs-page-with-token");

        Assert.Empty(report.Problems);
        Assert.Empty(report.FailedRequests);
        Assert.Equal(ApiFixture.Token, await page.Page.EvaluateAsync<string>("() => sessionStorage.getItem('facecluster.api.token')"));
        Assert.False(await page.Page.IsVisibleAsync("#token-form"));
        Assert.True(await page.Page.IsVisibleAsync("#forget"));
        Assert.False(await page.Page.IsVisibleAsync("#error"));
        var text = await row.InnerTextAsync();
        Assert.Contains("ppca", text, StringComparison.Ordinal);
        Assert.Contains("completed", text, StringComparison.Ordinal);
        Assert.Contains("token-1", text, StringComparison.Ordinal);
        // Every stage of the run, with its bar at completed/total.
        Assert.NotEmpty(run.Stages ?? []);
        foreach (var stage in run.Stages!)
        {
            Assert.Contains(stage.Name, text, StringComparison.Ordinal);
            Assert.Contains($"{stage.CompletedUnits}/{stage.TotalUnits}", text, StringComparison.Ordinal);
        }

        var bars = await row.Locator("progress").CountAsync();
        Assert.Equal(run.Stages!.Count, bars);
        // A Report button only where the output folder has a report.html (the report test writes one).
        var hasReport = File.Exists(Path.Combine(fixture.DataRoot, run.OutputPath, "report.html"));
        Assert.Equal(hasReport ? 1 : 0, await row.Locator("button.report").CountAsync());
        Assert.Equal(0, await row.Locator("button.cancel").CountAsync());
        Assert.All(page.Requests.Where(url => url.Contains("/api/", StringComparison.Ordinal)), url => Assert.EndsWith("/api/runs", url, StringComparison.Ordinal));

        await page.Page.ClickAsync("#forget");
        Assert.True(await page.Page.IsVisibleAsync("#token-form"));
        Assert.False(await page.Page.IsVisibleAsync("#runs"));
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('facecluster.api.token')"));
        Assert.DoesNotContain(run.RunId, await page.Page.InnerTextAsync("body"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_shows_the_token_refused_line()
    {
        HeadlessBrowser.SkipUnlessInstalled();
        await using var browser = await HeadlessBrowser.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Api.BaseAddress);
        await EnterTokenAsync(page.Page, "wrong-token-value-42");
        await page.Page.Locator("#error").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 10_000 });
        var report = await page.ReportAsync("runs-page-token-refused");

        Assert.StartsWith("token refused", (await page.Page.InnerTextAsync("#error")).Trim(), StringComparison.Ordinal);
        Assert.Single(report.FailedRequests, failed => failed.Contains("/api/runs: 401", StringComparison.Ordinal));
        Assert.Empty(report.PageErrors);
        Assert.Empty(report.ExternalRequests);
        // The refused token is dropped and asked for again.
        Assert.True(await page.Page.IsVisibleAsync("#token-form"));
        Assert.Null(await page.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('facecluster.api.token')"));
    }

    [Fact]
    public async Task Cancel_on_the_page_cancels_an_unfinished_run_after_a_confirm()
    {
        HeadlessBrowser.SkipUnlessInstalled();
        const string id = "page-cancel-run";
        using var http = fixture.Client();
        var body = ApiFixture.SmallRun("out/page-cancel", id);
        body["bootstrap"] = 2000;
        body["replicates"] = 10000;
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/runs", body, Ct)).StatusCode);

        await using var browser = await HeadlessBrowser.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        var dialogs = new List<string>();
        page.Page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            await dialog.AcceptAsync();
        };
        await page.GotoAsync(fixture.Api.BaseAddress);
        await EnterTokenAsync(page.Page, ApiFixture.Token);
        var deleted = page.Page.WaitForRequestAsync(
            request => request.Method == "DELETE" && request.Url.EndsWith($"/api/runs/{id}", StringComparison.Ordinal),
            new PageWaitForRequestOptions { Timeout = 15_000 });
        await page.Page.ClickAsync($"tr[data-run-id='{id}'] button.cancel", new PageClickOptions { Timeout = 15_000 });
        await deleted;
        await page.Page.Locator($"tr[data-run-id='{id}'][data-state='cancelled']").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        var report = await page.ReportAsync("runs-page-cancelled");

        Assert.Contains(dialogs, message => message.Contains(id, StringComparison.Ordinal));
        Assert.Equal("cancelled", (await http.GetFromJsonAsync<JsonObject>($"api/runs/{id}", Ct))!["state"]!.GetValue<string>());
        Assert.Equal(0, await page.Page.Locator($"tr[data-run-id='{id}'] button.cancel").CountAsync());
        Assert.Empty(report.Problems);
    }

    [Fact]
    public async Task The_report_endpoint_serves_report_html_with_its_csp_and_the_page_opens_it()
    {
        var run = await FinishedAsync();
        using var http = fixture.Client();
        var reportPath = Path.Combine(fixture.DataRoot, run.OutputPath, "report.html");
        File.Delete(reportPath);

        Assert.False((await http.GetFromJsonAsync<JsonObject>($"api/runs/{run.RunId}", Ct))!["report"]!.GetValue<bool>());
        var missing = await http.GetAsync($"api/runs/{run.RunId}/report", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = (await missing.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!.GetValue<string>();
        Assert.Contains("report.html", error, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.DataRoot, error, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("api/runs/no-such-run/report", Ct)).StatusCode);

        // What the report generator writes: self-contained, inline styles, an embedded figure.
        const string pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
        await File.WriteAllTextAsync(
            reportPath,
            $"<!doctype html><html><head><meta charset=\"utf-8\"><title>report</title><style>h1 {{ color: rgb(200, 0, 0); }}</style></head>"
            + $"<body><h1>Report of {run.RunId}</h1><p style=\"font-size: 20px\">Dimensions found: 2</p>"
            + $"<img id=\"figure\" alt=\"figure\" width=\"40\" height=\"40\" src=\"data:image/png;base64,{pixel}\"></body></html>",
            Ct);

        var served = await http.GetAsync($"api/runs/{run.RunId}/report", Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.True((await http.GetFromJsonAsync<JsonObject>($"api/runs/{run.RunId}", Ct))!["report"]!.GetValue<bool>());
        var listed = (await http.GetFromJsonAsync<JsonObject>("api/runs", Ct))!["runs"]!.AsArray().Single(r => r!["run_id"]!.GetValue<string>() == run.RunId)!;
        Assert.True(listed["report"]!.GetValue<bool>());
        Assert.Equal("text/html", served.Content.Headers.ContentType?.MediaType);
        AssertPageHeaders(served, RunsPage.ReportCsp);
        Assert.Contains($"Report of {run.RunId}", await served.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        HeadlessBrowser.SkipUnlessInstalled();
        await using var browser = await HeadlessBrowser.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        await page.GotoAsync(fixture.Api.BaseAddress);
        await EnterTokenAsync(page.Page, ApiFixture.Token);
        await page.Page.ClickAsync($"tr[data-run-id='{run.RunId}'] button.report", new PageClickOptions { Timeout = 15_000 });
        await page.Page.FrameLocator("#report-frame").Locator("h1").WaitForAsync(new LocatorWaitForOptions { Timeout = 10_000 });
        var report = await page.ReportAsync("runs-page-report");

        Assert.Empty(report.Problems);
        Assert.Empty(report.FailedRequests);
        Assert.Contains(report.FrameTexts, text => text.Contains($"Report of {run.RunId}", StringComparison.Ordinal));
        var frame = Assert.Single(page.Page.Frames, f => f.Url.StartsWith("blob:", StringComparison.Ordinal));
        // The report's inline styles and its data: image work inside the page's policy.
        Assert.Equal("rgb(200, 0, 0)", await frame.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('h1')).color"));
        Assert.Equal(1, await frame.EvaluateAsync<int>("() => document.getElementById('figure').naturalWidth"));
        Assert.Contains(page.Requests, url => url.EndsWith($"/api/runs/{run.RunId}/report", StringComparison.Ordinal));
        Assert.Equal($"Report of {run.RunId}", (await page.Page.InnerTextAsync("#report-title")).Trim());
    }

    private static async Task EnterTokenAsync(IPage page, string token)
    {
        await page.FillAsync("#token", token);
        await page.ClickAsync("#token-form button[type=submit]");
    }

    private static void AssertPageHeaders(HttpResponseMessage response, string csp)
    {
        Assert.Equal(csp, string.Join(", ", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("nosniff", string.Join(", ", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", string.Join(", ", response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    /// <summary>The finished small run the tests share, submitted through the API (so it has a submitter).</summary>
    private Task<RunStatus> FinishedAsync() => _finished ??= SubmitAsync();

    private async Task<RunStatus> SubmitAsync()
    {
        using var http = fixture.Client();
        var created = await http.PostAsJsonAsync("api/runs", ApiFixture.SmallRun("out/page-finished", FinishedRun), CancellationToken.None);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var status = await fixture.Cluster.Client.WaitForRunAsync(FinishedRun, cancellationToken: CancellationToken.None);
        Assert.Equal(RunState.Completed, status.State);
        return status;
    }
}
