using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using Microsoft.Extensions.Configuration;

namespace FaceCluster.Api.Tests;

/// <summary>Issue 12: tokens out of logs, named tokens and who may cancel, the listen address, bounded answers.</summary>
public sealed class ApiHardeningTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject LongRun(string output, string runId) => new()
    {
        ["kind"] = "ppca",
        ["x"] = ApiFixture.XPath,
        ["y"] = ApiFixture.YPath,
        ["out"] = output,
        ["bootstrap"] = 2000,
        ["replicates"] = 10000,
        ["run_id"] = runId,
    };

    [Fact]
    public async Task Tokens_reach_no_log_wherever_a_request_puts_them()
    {
        using var anonymous = fixture.Client(token: null);
        using var right = fixture.Client();
        var escaped = Uri.EscapeDataString(ApiFixture.AdminToken);

        // The query string: not accepted as credentials, and never logged (ASP.NET Core logs request URLs).
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"api/runs?access_token={ApiFixture.Token}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync($"api/runs?token={ApiFixture.AliceToken}&x=1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync($"api/runs?q={escaped}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("api/runs?access_token=not-a-token-but-secret-777", Ct)).StatusCode);

        // The path (a token pasted as a run id) and other headers.
        Assert.Equal(HttpStatusCode.NotFound, (await right.GetAsync($"api/runs/{ApiFixture.AliceToken}", Ct)).StatusCode);
        using var header = new HttpRequestMessage(HttpMethod.Get, "healthz");
        header.Headers.Add("X-Api-Key", ApiFixture.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(header, Ct)).StatusCode);

        var logs = fixture.Logs.ToArray();

        // The hosting log of these requests was captured (Trace level), with the secret query values masked.
        Assert.Contains(logs, line => line.Contains("access_token=***", StringComparison.Ordinal));
        Assert.Contains(logs, line => line.Contains("Microsoft.AspNetCore.Routing", StringComparison.Ordinal));
        foreach (var secret in new[] { ApiFixture.Token, ApiFixture.AliceToken, ApiFixture.AdminToken, escaped, "not-a-token-but-secret-777" })
        {
            Assert.DoesNotContain(logs, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Tokens_have_names_from_the_settings_or_the_environment()
    {
        var configuration = fixture.Configuration();
        var options = FaceClusterApiExtensions.ReadOptions(configuration);
        var tokens = ApiTokens.From(options, "bob=tok-bob, carol:admin=tok-carol==, plainbase64==, =x");
        Assert.Equal(new ApiIdentity("token-1", false), tokens.Find(ApiFixture.Token));
        Assert.Equal(new ApiIdentity("alice", false), tokens.Find(ApiFixture.AliceToken));
        Assert.Equal(new ApiIdentity("ops", true), tokens.Find(ApiFixture.AdminToken));
        Assert.Equal(new ApiIdentity("bob", false), tokens.Find("tok-bob"));
        Assert.Equal(new ApiIdentity("carol", true), tokens.Find("tok-carol=="));
        Assert.Equal(new ApiIdentity("env-token-1", false), tokens.Find("plainbase64=="));
        Assert.Equal(new ApiIdentity("env-token-2", false), tokens.Find("=x"));
        Assert.Null(tokens.Find("tok-carol"));
        Assert.Null(tokens.Find("bob=tok-bob"));

        // A token under two names, or a name given twice, is refused at start (the token itself is not in the message).
        var twice = Assert.Throws<InvalidOperationException>(() => ApiTokens.From(options, $"mallory={ApiFixture.AliceToken}"));
        Assert.Contains("alice, mallory", twice.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiFixture.AliceToken, twice.Message, StringComparison.Ordinal);
        Assert.Contains("'alice'", Assert.Throws<InvalidOperationException>(() => ApiTokens.From(options, "alice=other-token")).Message, StringComparison.Ordinal);

        // The same plain token in the settings and the environment is one token, as before names.
        Assert.Equal(3, ApiTokens.From(options, ApiFixture.Token).Count);
    }

    [Fact]
    public async Task Only_the_submitter_or_an_admin_token_may_cancel_a_run()
    {
        using var alice = fixture.Client(ApiFixture.AliceToken);
        using var other = fixture.Client();
        using var admin = fixture.Client(ApiFixture.AdminToken);

        var created = await alice.PostAsJsonAsync("api/runs", LongRun("out/alice-1", "alice-run-1"), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("alice", (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!["submitter"]!.GetValue<string>());
        Assert.Equal("alice", (await other.GetFromJsonAsync<JsonObject>("api/runs/alice-run-1", Ct))!["submitter"]!.GetValue<string>());

        var refused = await other.DeleteAsync("api/runs/alice-run-1", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var error = await refused.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain('\n', error);
        Assert.Contains("submitter or an admin token", JsonNode.Parse(error)!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("running", (await alice.GetFromJsonAsync<JsonObject>("api/runs/alice-run-1", Ct))!["state"]!.GetValue<string>());

        var byAdmin = await admin.DeleteAsync("api/runs/alice-run-1", Ct);
        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
        Assert.Equal("cancelled", (await byAdmin.Content.ReadFromJsonAsync<JsonObject>(Ct))!["state"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Created, (await alice.PostAsJsonAsync("api/runs", LongRun("out/alice-2", "alice-run-2"), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.DeleteAsync("api/runs/alice-run-2", Ct)).StatusCode);

        // A run of the cluster's own clients (no submitter) is the admins' to cancel; an anonymous API lets anyone cancel.
        await fixture.Cluster.Client.GetGrain<IRunCoordinatorGrain>("embedded-run").Start(
            new RunRequest("ppca", "out/embedded", """{"x":"inputs/x.parquet","y":"inputs/y.parquet","bootstrap":2000,"replicates":10000}"""));
        Assert.Null((await alice.GetFromJsonAsync<JsonObject>("api/runs/embedded-run", Ct))!["submitter"]);
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.DeleteAsync("api/runs/embedded-run", Ct)).StatusCode);
        await using var open = await FaceClusterApiHost.StartAsync(
            fixture.Cluster.Client,
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["FaceCluster:DataRoot"] = fixture.DataRoot,
                ["FaceCluster:Api:AllowAnonymous"] = "true",
                ["FaceCluster:Api:Dashboard"] = "false",
            }).Build(),
            cancellationToken: Ct);
        using var anyone = fixture.Client(token: null, api: open);
        Assert.Equal(HttpStatusCode.OK, (await anyone.DeleteAsync("api/runs/embedded-run", Ct)).StatusCode);
        var anonymousRun = await anyone.PostAsJsonAsync("api/runs", LongRun("out/anonymous", "anonymous-run"), Ct);
        Assert.Equal(HttpStatusCode.Created, anonymousRun.StatusCode);
        Assert.Null((await anonymousRun.Content.ReadFromJsonAsync<JsonObject>(Ct))!["submitter"]);
        Assert.Equal(HttpStatusCode.OK, (await anyone.DeleteAsync("api/runs/anonymous-run", Ct)).StatusCode);
    }

    [Fact]
    public async Task Answers_echo_bounded_values_and_no_absolute_server_path()
    {
        using var http = fixture.Client();

        // A 10 MB run id: a short 400 naming run_id, before it becomes a grain key.
        var huge = new string('a', 10 * 1024 * 1024);
        var body = LongRun("out/huge", huge);
        var refused = await http.PostAsJsonAsync("api/runs", body, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var text = await refused.Content.ReadAsStringAsync(Ct);
        Assert.True(text.Length < 1000, $"{text.Length} characters");
        Assert.Contains("run_id", text, StringComparison.Ordinal);

        // Ids over the limit in the path: a short 404 (the request line itself is bounded by Kestrel).
        var long_ = new string('b', 6000);
        foreach (var response in new[] { await http.GetAsync($"api/runs/{long_}", Ct), await http.DeleteAsync($"api/runs/{long_}", Ct), await http.GetAsync($"api/runs/{long_}/results", Ct) })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.True((await response.Content.ReadAsStringAsync(Ct)).Length < 1000);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("api/runs", LongRun("out/id", new string('c', 129)), Ct)).StatusCode);

        // Absolute paths (the data root's own included) and inputs the silo refuses: the data root is never named.
        foreach (var (field, value) in new[]
        {
            ("out", Path.Combine(fixture.DataRoot, "out", "absolute")),
            ("x", Path.Combine(fixture.DataRoot, ApiFixture.XPath)),
            ("x", "inputs/missing.parquet"),
            ("kind", new string('k', 5000)),
            ("x", "../" + new string('d', 5000)),
        })
        {
            var run = LongRun("out/paths", $"paths-run-{field}-{value.Length}");
            run[field] = value;
            var response = await http.PostAsJsonAsync("api/runs", run, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{field}={ApiText.Bounded(value, 80)}: {response.StatusCode}");
            var error = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]!.GetValue<string>();
            Assert.DoesNotContain(fixture.DataRoot, error, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Folder, error, StringComparison.Ordinal);
            Assert.True(error.Length <= ApiText.MaxMessage + 1, $"{error.Length} characters");
            Assert.Contains(field, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_listen_address_setting_is_checked()
    {
        static FaceClusterSiloSettings Read(params (string Key, string Value)[] settings) => FaceClusterSiloSettings.Read(
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

        Assert.Equal(IPAddress.Loopback, Read(("FaceCluster:DataRoot", "/tmp/x"), ("FaceCluster:ApiPort", "8080")).ApiListenAddress);
        Assert.Equal(IPAddress.Any, Read(("FaceCluster:DataRoot", "/tmp/x"), ("FaceCluster:Api:ListenAddress", "0.0.0.0")).ApiListenAddress);
        var error = Assert.Throws<FaceCluster.Tables.InvalidInputException>(() => Read(("FaceCluster:DataRoot", "/tmp/x"), ("FaceCluster:Api:ListenAddress", "everywhere")));
        Assert.Contains("FaceCluster:Api:ListenAddress", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_serves_its_api_on_loopback_only_unless_told()
    {
        // An address of this machine that is not loopback, and proof that it is reachable here at all.
        var external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.SkipWhen(external is null, "this machine has no non-loopback IPv4 address");
        using (var control = new TcpListener(IPAddress.Any, 0))
        {
            control.Start();
            Assert.True(await CanConnectAsync(external!, ((IPEndPoint)control.LocalEndpoint).Port), "a listener on every interface is reachable at " + external);
        }

        var dataRoot = Path.Combine(fixture.Folder, "listen-silo");
        var apiPort = FreePort();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var silo = FaceClusterSilo.RunAsync(
            [],
            new Dictionary<string, string?>
            {
                ["FaceCluster:DataRoot"] = dataRoot,
                ["FaceCluster:ClusterId"] = "listen-test",
                ["FaceCluster:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["FaceCluster:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["FaceCluster:ApiPort"] = apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["FaceCluster:Api:Tokens:0"] = ApiFixture.Token,
                ["FaceCluster:Api:Dashboard"] = "false",
            },
            TextWriter.Null,
            stop.Token);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}/") };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                Assert.False(silo.IsCompleted, "the silo stopped");
                try
                {
                    if ((await http.GetAsync("healthz", Ct)).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                }

                await Task.Delay(100, Ct);
            }

            Assert.False(await CanConnectAsync(external!, apiPort), $"the API answers at {external}:{apiPort}, not only on loopback");
        }
        finally
        {
            await stop.CancelAsync();
            await silo;
        }
    }

    private static async Task<bool> CanConnectAsync(IPAddress address, int port)
    {
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync(address, port, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), Ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
