using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using FaceCluster.Analysis;
using FaceCluster.Hosting;
using FaceCluster.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;

namespace FaceCluster.Api.Tests;

/// <summary>A one-silo embedded cluster, the API on a free 127.0.0.1 port in front of it, inputs under the data root, and the API's logs.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    /// <summary>A plain token (the old form of the setting): named <c>token-1</c>, not an admin.</summary>
    public const string Token = "s3cret-token-0123456789abcdef";

    /// <summary>The token named <c>alice</c>.</summary>
    public const string AliceToken = "alice-token-9876543210fedcba";

    /// <summary>The admin token named <c>ops</c>.</summary>
    public const string AdminToken = "ops-admin-token-00112233445566";
    public const string XPath = "inputs/x.parquet";
    public const string YPath = "inputs/y.parquet";

    /// <summary>The body of a small PPCA run of the fixture's inputs into <paramref name="output"/> (seconds to run).</summary>
    public static JsonObject SmallRun(string output, string? runId = null) => new()
    {
        ["kind"] = "ppca",
        ["x"] = XPath,
        ["y"] = YPath,
        ["out"] = output,
        ["bootstrap"] = 50,
        ["replicates"] = 6,
        ["inner_bootstrap"] = 20,
        ["seed"] = 1,
        ["run_id"] = runId,
    };

    private EmbeddedCluster? _cluster;
    private FaceClusterApiHost? _api;

    public string Folder { get; } = Directory.CreateTempSubdirectory("facecluster-api-tests-").FullName;

    public string DataRoot => Path.Combine(Folder, "root");

    public EmbeddedCluster Cluster => _cluster!;

    public FaceClusterApiHost Api => _api!;

    public ConcurrentQueue<string> Logs { get; } = new();

    public async ValueTask InitializeAsync()
    {
        var data = PlantedPpcaData.Generate(new PlantedPpcaOptions { Stimuli = 90, Countries = ["CN", "US"], Concepts = 6, Dimensions = 2, Seed = 8 });
        Directory.CreateDirectory(Path.Combine(DataRoot, "inputs"));
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), Path.Combine(DataRoot, XPath), default);
        await WideTableWriter.WriteAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), Path.Combine(DataRoot, YPath), default);
        _cluster = await EmbeddedCluster.StartAsync(DataRoot, options => options.WorkerSlots = 2, silo => silo.AddDashboard().AddFaceClusterRole(SiloRoles.Cpu));
        _api = await FaceClusterApiHost.StartAsync(_cluster.Client, Configuration(), configureLogging: logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new CapturingLoggerProvider(Logs));
        });
    }

    /// <summary>The API's settings (data root, the token), with <paramref name="extra"/> settings on top.</summary>
    public IConfiguration Configuration(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["FaceCluster:DataRoot"] = DataRoot,
            ["FaceCluster:Api:Tokens:0"] = Token,
            ["FaceCluster:Api:Tokens:1:Name"] = "alice",
            ["FaceCluster:Api:Tokens:1:Token"] = AliceToken,
            ["FaceCluster:Api:Tokens:2:Name"] = "ops",
            ["FaceCluster:Api:Tokens:2:Token"] = AdminToken,
            ["FaceCluster:Api:Tokens:2:Admin"] = "true",
            ["FaceCluster:Telemetry:ActiveRunsInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    public HttpClient Client(string? token = Token, FaceClusterApiHost? api = null)
    {
        var http = new HttpClient { BaseAddress = (api ?? Api).BaseAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        Directory.Delete(Folder, recursive: true);
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, logs);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> logs) : ILogger
        {
            // Scopes are recorded too: the hosting scope carries the request path.
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                logs.Enqueue($"scope {category}: {state}");
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    foreach (var (key, value) in values)
                    {
                        logs.Enqueue($"  scope {key}={value}");
                    }
                }

                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                logs.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    foreach (var (key, value) in values)
                    {
                        logs.Enqueue($"  {key}={value}");
                    }
                }
            }
        }
    }
}
