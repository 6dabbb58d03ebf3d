using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using FaceCluster.Cli.Commands;
using FaceCluster.Tables;

namespace FaceCluster.Cli;

/// <summary>
/// The <c>facecluster</c> command line: builds the command tree and runs it with the project's conventions
/// (see README "Commands" and the remarks here).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>One class per command group in <c>Commands/</c> with <c>static Command Create(CliContext context)</c>,
/// registered in <see cref="BuildRootCommand"/>. Actions are <c>SetAction(async (parseResult, cancellationToken) =&gt; …)</c>
/// returning <see cref="ExitCodes.Success"/>; they write results to <see cref="CliContext.Output"/> and everything
/// else to <see cref="CliContext.Error"/>.</item>
/// <item>Bad input: throw <see cref="InvalidInputException"/> (or let <see cref="FileNotFoundException"/>,
/// <see cref="DirectoryNotFoundException"/>, <see cref="UnauthorizedAccessException"/> through): one line
/// <c>error: MESSAGE</c> on standard error, exit code 2. Usage errors are reported the same way.</item>
/// <item>Any other exception: <c>error: unexpected TYPE: MESSAGE</c> and a hint to set <c>FACECLUSTER_DEBUG=1</c>
/// for the stack trace, exit code 1.</item>
/// <item>Ctrl+C cancels the token given to the action; an <see cref="OperationCanceledException"/> then gives
/// <c>cancelled</c> and exit code 130. A second Ctrl+C ends the process at once. SIGTERM does what the first Ctrl+C does.</item>
/// </list>
/// </remarks>
internal static class CliApplication
{
    /// <summary>The environment variable that asks for stack traces with errors.</summary>
    public const string DebugVariable = "FACECLUSTER_DEBUG";

    /// <summary>The command name shown in messages.</summary>
    public const string Name = "facecluster";

    /// <summary>Runs the command line for the process: terminals detected, Ctrl+C cancels the running command.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        using var cancellation = new CancellationTokenSource();
        var interrupts = 0;
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            // The first Ctrl+C asks the command to stop; a second one terminates the process as usual.
            if (Interlocked.Increment(ref interrupts) == 1)
            {
                signal.Cancel = true;
                cancellation.Cancel();
            }
        });
        // SIGTERM (a container stop, kill) stops the command as Ctrl+C does: staging and embedded folders are cleaned.
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            cancellation.Cancel();
        });
        return await RunAsync(args, CliContext.ForConsole(output, error), cancellation.Token).ConfigureAwait(false);
    }

    /// <summary>Runs the command line in-process (tests, embedding); <paramref name="cancellationToken"/> plays Ctrl+C.</summary>
    public static Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default) =>
        InvokeAsync(BuildRootCommand(context), args, context, cancellationToken);

    /// <summary>Builds the command tree. Each command group is one class in <c>Commands/</c>.</summary>
    public static RootCommand BuildRootCommand(CliContext context)
    {
        var root = new RootCommand(
            "FaceCluster: principal preserved components analysis of facial-expression judgments (Brooks et al. 2024).")
        {
            DemoCommand.Create(context),
            PipelineCommand.Create(context),
            AnalyzeCommand.Create(context),
            ShowCommand.Create(context),
            ReportCommand.Create(context),
            BenchCommand.Create(context),
            StudyCommand.Create(context),
            CropCommand.Create(context),
            DevicesCommand.Create(context),
            RunCommands.CreateSubmit(context),
            RunCommands.CreateStatus(context),
            RunCommands.CreateResults(context),
            SiloCommand.Create(context),
            LearningCommands.CreateTrain(context),
            LearningCommands.CreatePredict(context),
            LearningCommands.CreateModel(context),
            DetectCommand.Create(context),
            LandmarksCommand.Create(context),
            MorphCommand.Create(context),
        };
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/> against <paramref name="root"/>, mapping failures to exit codes.</summary>
    internal static async Task<int> InvokeAsync(RootCommand root, string[] args, CliContext context, CancellationToken cancellationToken)
    {
        try
        {
            var parseResult = root.Parse(args);
            if (parseResult.Action is ParseErrorAction)
            {
                var problems = string.Join("; ", parseResult.Errors.Select(e => e.Message));
                await context.Error.WriteLineAsync(
                    InvalidInputException.OneLine($"error: {problems} (see '{CommandPath(parseResult)} --help')")).ConfigureAwait(false);
                return ExitCodes.BadInput;
            }

            var configuration = new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            };
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return await ReportAsync(e, context, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<int> ReportAsync(Exception exception, CliContext context, CancellationToken cancellationToken)
    {
        if (exception is AggregateException aggregate && aggregate.Flatten().InnerExceptions is [var single])
        {
            exception = single;
        }

        var error = context.Error;
        int exitCode;
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("cancelled").ConfigureAwait(false);
            exitCode = ExitCodes.Cancelled;
        }
        else if (exception is InvalidInputException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or Torch.TorchRuntimeException)
        {
            await error.WriteLineAsync($"error: {InvalidInputException.OneLine(exception.Message)}").ConfigureAwait(false);
            exitCode = ExitCodes.BadInput;
        }
        else
        {
            await error.WriteLineAsync(
                $"error: unexpected {exception.GetType().Name}: {InvalidInputException.OneLine(exception.Message)}").ConfigureAwait(false);
            if (!context.Debug)
            {
                await error.WriteLineAsync($"Set {DebugVariable}=1 to print the stack trace.").ConfigureAwait(false);
            }

            exitCode = ExitCodes.Failure;
        }

        if (context.Debug)
        {
            await error.WriteLineAsync(exception.ToString()).ConfigureAwait(false);
        }

        return exitCode;
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null && result.Command is not RootCommand; result = result.Parent as CommandResult)
        {
            names.Add(result.Command.Name);
        }

        names.Add(Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
