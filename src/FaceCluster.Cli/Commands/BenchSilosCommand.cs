using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FaceCluster.Analysis;
using FaceCluster.Grains;
using FaceCluster.Hosting;
using FaceCluster.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster bench silos</c>: loading-significance replicates per second on a Redis cluster of 1 and of 2 silo
/// processes on this machine. Starts <c>redis-server</c> (which must be on PATH) and the silo processes itself.
/// </summary>
internal static class BenchSilosCommand
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(120);

    /// <summary>Builds the <c>bench silos</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var n = new Option<int>("--n") { Description = "Stimuli.", DefaultValueFactory = _ => 600 };
        var p = new Option<int>("--p") { Description = "Attributes (a multiple of 6 is laid out as 6 countries).", DefaultValueFactory = _ => 48 };
        var replicates = new Option<int>("--replicates") { Description = "Loading-significance replicates R.", DefaultValueFactory = _ => 200, HelpName = "R" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Dimension-bootstrap resamples B (also the inner bootstrap of each replicate).", DefaultValueFactory = _ => new PpcaOptions().Bootstrap, HelpName = "B" };
        var slots = new Option<int>("--worker-slots") { Description = "Worker slots per silo (0: one per core).", DefaultValueFactory = _ => 0, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the generated data and random streams.", DefaultValueFactory = _ => 1UL };
        var command = new Command("silos", "Replicates per second with 1 and with 2 silo processes on a local Redis cluster.")
        {
            n, p, replicates, bootstrap, slots, seed,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetValue(n),
            parseResult.GetValue(p),
            parseResult.GetValue(replicates),
            parseResult.GetValue(bootstrap),
            parseResult.GetValue(slots),
            parseResult.GetValue(seed),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, int n, int p, int replicates, int bootstrap, int slots, ulong seed, CancellationToken cancellationToken)
    {
        if (n < 10 || p < 2 || replicates < 1 || bootstrap < 2 || slots < 0)
        {
            throw new InvalidInputException($"need --n >= 10, --p >= 2, --replicates >= 1, --bootstrap >= 2, --worker-slots >= 0 (got {n}, {p}, {replicates}, {bootstrap}, {slots})");
        }

        var server = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "redis-server")).FirstOrDefault(File.Exists)
            ?? throw new InvalidInputException("redis-server is not on PATH; install it (Debian: apt-get install -y redis-server)");
        var layout = p % 6 == 0
            ? new PlantedPpcaOptions { Stimuli = n, Concepts = p / 6, Dimensions = Math.Min(12, p), Seed = seed }
            : new PlantedPpcaOptions { Stimuli = n, Countries = ["XX"], Concepts = p, Dimensions = Math.Min(12, p), Seed = seed };
        var data = PlantedPpcaData.Generate(layout);
        var output = context.Output;
        await output.WriteLineAsync(Invariant($"bench silos: n = {n}, p = {p}, R = {replicates}, B = B_inner = {bootstrap}, worker slots per silo {(slots == 0 ? "= cores" : slots.ToString(CultureInfo.InvariantCulture))}, {Environment.ProcessorCount} core(s)")).ConfigureAwait(false);

        var root = Directory.CreateTempSubdirectory("facecluster-bench-silos-").FullName;
        var processes = new List<Process>();
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "inputs"));
            await WideTableWriter.WriteParquetAsync(new WideTable(data.SeedIds, data.Attributes, data.X.Values, "x"), Path.Combine(root, "inputs", "x.parquet"), cancellationToken).ConfigureAwait(false);
            await WideTableWriter.WriteParquetAsync(new WideTable(data.SeedIds, data.Attributes, data.Y.Values, "y"), Path.Combine(root, "inputs", "y.parquet"), cancellationToken).ConfigureAwait(false);
            var redisPort = FreePort();
            processes.Add(Start(server, root, ["--port", Text(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", root], []));
            var rates = new List<(int Silos, double Seconds)>();
            foreach (var count in new[] { 1, 2 })
            {
                var clusterId = Invariant($"bench-{count}-{Guid.NewGuid():N}");
                var silos = new List<Process>();
                for (var i = 0; i < count; i++)
                {
                    var (file, prefix) = SelfCommand();
                    var silo = Start(
                        file,
                        root,
                        [.. prefix, "silo", "--clustering", "redis", "--redis", Invariant($"127.0.0.1:{redisPort}"), "--cluster-id", clusterId,
                         "--silo-port", Text(FreePort()), "--gateway-port", Text(FreePort()), "--advertise", "127.0.0.1", "--data", root],
                        new Dictionary<string, string> { ["FACECLUSTER__WORKERSLOTS"] = Text(slots), ["Logging__LogLevel__Default"] = "Warning" });
                    silos.Add(silo);
                    processes.Add(silo);
                }

                var options = new FaceClusterRedisOptions { ConnectionString = Invariant($"127.0.0.1:{redisPort}"), ClusterId = clusterId };
                using var client = await ConnectAsync(options, count, silos, cancellationToken).ConfigureAwait(false);
                var grains = client.Services.GetRequiredService<IClusterClient>();
                var runId = Invariant($"bench-silos-{count}");
                var coordinator = grains.GetGrain<IRunCoordinatorGrain>(runId);
                await coordinator.Start(RunParameters.Request(
                    PpcaRunKind.KindName, runId, new PpcaParameters { X = "inputs/x.parquet", Y = "inputs/y.parquet", Bootstrap = bootstrap, Replicates = replicates, Seed = seed })).ConfigureAwait(false);
                var status = await grains.WaitForRunAsync(runId, null, TimeSpan.FromMilliseconds(200), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (status.State != RunState.Completed)
                {
                    throw new InvalidOperationException($"the run on {count} silo(s) {status.State.ToString().ToLowerInvariant()}: {status.Error}");
                }

                var stage = (await coordinator.GetReport().ConfigureAwait(false)).Stages.Single(s => s.Name == PpcaStages.Replicates);
                var seconds = (stage.FinishedAt!.Value - stage.StartedAt!.Value).TotalSeconds;
                rates.Add((count, seconds));
                await output.WriteLineAsync(Invariant($"{count} silo process(es): replicates stage {seconds,8:F3} s   {replicates / seconds,8:F2} replicates/s   ({BenchClusterCommand.DescribeRanges(stage)})")).ConfigureAwait(false);
                using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
                {
                    await client.StopAsync(timeout.Token).ConfigureAwait(false);
                }

                foreach (var silo in silos)
                {
                    Stop(silo);
                    processes.Remove(silo);
                }
            }

            await output.WriteLineAsync(Invariant($"speed-up of 2 silo processes over 1: {rates[0].Seconds / rates[1].Seconds:F2}x (both on this machine's {Environment.ProcessorCount} core(s))")).ConfigureAwait(false);
        }
        finally
        {
            foreach (var process in processes)
            {
                Stop(process);
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }

        return ExitCodes.Success;
    }

    private static async Task<IHost> ConnectAsync(FaceClusterRedisOptions options, int silos, List<Process> processes, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var client = await FaceClusterRedisExtensions.StartRedisClientAsync(options, cancellationToken).ConfigureAwait(false);
        var management = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);
        while ((await management.GetHosts(onlyActive: true, cancellationToken).ConfigureAwait(false)).Count < silos)
        {
            if (watch.Elapsed > StartDeadline || processes.Any(p => p.HasExited))
            {
                client.Dispose();
                throw new InvalidOperationException($"{silos} silo process(es) did not become active within {StartDeadline.TotalSeconds:F0} s");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return client;
    }

    /// <summary>How to run this command line again: the apphost, or <c>dotnet facecluster.dll</c>.</summary>
    private static (string File, string[] Prefix) SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [typeof(BenchSilosCommand).Assembly.Location])
            : (process, []);
    }

    private static Process Start(string file, string folder, IEnumerable<string> arguments, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
