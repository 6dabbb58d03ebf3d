using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FaceCluster.Api.Tests;

/// <summary>
/// A real OTLP/HTTP endpoint for tests: Kestrel on a free 127.0.0.1 port that accepts <c>POST /v1/{signal}</c>, records
/// every body (gunzipped when compressed) and answers an empty protobuf message, as a collector does.
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> _received;

    private OtlpCollector(WebApplication app, Uri address, ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> received)
    {
        _app = app;
        BaseAddress = address;
        _received = received;
    }

    /// <summary>Where to point <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The content types of the bodies posted to <paramref name="path"/>.</summary>
    public IReadOnlyList<string?> ContentTypes(string path) => [.. _received.Where(r => r.Path == path).Select(r => r.ContentType)];

    public static async Task<OtlpCollector> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRouting();
        var app = builder.Build();
        var requests = new ConcurrentQueue<(string, string?, byte[])>();
        app.UseRouting();
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            Stream body = context.Request.Body;
            if (string.Equals(context.Request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase))
            {
                body = new GZipStream(body, CompressionMode.Decompress);
            }

            using var copy = new MemoryStream();
            await body.CopyToAsync(copy, context.RequestAborted);
            requests.Enqueue((context.Request.Path.Value!, context.Request.ContentType, copy.ToArray()));
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OtlpCollector(app, new Uri(address.TrimEnd('/') + "/"), requests);
    }

    /// <summary>The bodies posted to <paramref name="path"/> (for example <c>/v1/traces</c>).</summary>
    public IReadOnlyList<byte[]> Bodies(string path) => [.. _received.Where(r => r.Path == path).Select(r => r.Body)];

    /// <summary>Whether some body posted to <paramref name="path"/> holds every one of <paramref name="texts"/> (as UTF-8).</summary>
    public bool Received(string path, params string[] texts) =>
        Bodies(path).Any(body => texts.All(text => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
