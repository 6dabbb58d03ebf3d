using FaceCluster.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FaceCluster.Api;

/// <summary>
/// OpenTelemetry for a FaceCluster process: traces of the <c>FaceCluster</c> activity source (run, stage, range spans),
/// Orleans' sources and ASP.NET Core; metrics of the <c>FaceCluster</c> meter, Orleans' meter
/// (<c>Microsoft.Orleans</c>) and ASP.NET Core; exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set and
/// scraped by Prometheus at <c>/metrics</c> (mapped by <see cref="FaceClusterApiExtensions.MapFaceClusterApi"/>).
/// </summary>
public static class FaceClusterTelemetryExtensions
{
    /// <summary>The meter of the Orleans runtime.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>
    /// Adds the tracing and metrics providers (service name from <c>OTEL_SERVICE_NAME</c>, default "facecluster") and the
    /// monitor that keeps the <c>facecluster.runs.active</c> gauge at the cluster's unfinished runs (it needs an
    /// <see cref="IGrainFactory"/>: a co-hosted silo or a client; settings in <see cref="FaceClusterTelemetryOptions"/>).
    /// </summary>
    public static IServiceCollection AddFaceClusterTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var serviceName = configuration["OTEL_SERVICE_NAME"] ?? "facecluster";
        services.AddOptions<FaceClusterTelemetryOptions>().BindConfiguration(FaceClusterTelemetryOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FaceClusterTelemetryOptions>, FaceClusterTelemetryOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ActiveRunsMonitor>());
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddSource(FaceClusterTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                    .AddAspNetCoreInstrumentation();
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(FaceClusterTelemetry.Name, OrleansMeter)
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        return services;
    }
}
