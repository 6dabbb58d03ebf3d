using FaceCluster.Cli.Progress;
using Spectre.Console;

namespace FaceCluster.Cli;

/// <summary>
/// What a command needs from its surroundings: where to write results (<see cref="Output"/>) and messages
/// (<see cref="Error"/>: progress, notes, errors), whether those are terminals, and progress reporting. Commands get it
/// when they are built and never touch <see cref="Console"/> directly, so tests can run them in-process.
/// </summary>
internal sealed class CliContext
{
    /// <summary>Creates a context; tests pass <see cref="StringWriter"/>s and leave the terminal flags false.</summary>
    public CliContext(TextWriter output, TextWriter error, bool outputIsTerminal = false, bool errorIsTerminal = false, bool debug = false)
    {
        Output = output;
        Error = error;
        OutputIsTerminal = outputIsTerminal;
        ErrorIsTerminal = errorIsTerminal;
        Debug = debug;
        Progress = new ConsoleProgress(error, errorIsTerminal);
    }

    /// <summary>Results (tables, CSV, JSON): what a user pipes into a file.</summary>
    public TextWriter Output { get; }

    /// <summary>Everything else: progress, notes, warnings, errors.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether <see cref="Output"/> is an interactive terminal (colours, terminal width).</summary>
    public bool OutputIsTerminal { get; }

    /// <summary>Whether <see cref="Error"/> is an interactive terminal (live progress bars).</summary>
    public bool ErrorIsTerminal { get; }

    /// <summary>Whether <c>FACECLUSTER_DEBUG=1</c> asked for stack traces.</summary>
    public bool Debug { get; }

    /// <summary>Progress bars on a terminal, periodic plain lines otherwise; see <see cref="ConsoleProgress"/>.</summary>
    public ConsoleProgress Progress { get; }

    /// <summary>The context of a real run: terminals detected, <c>FACECLUSTER_DEBUG</c> read from the environment.</summary>
    public static CliContext ForConsole(TextWriter output, TextWriter error) => new(
        output,
        error,
        outputIsTerminal: ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected,
        errorIsTerminal: ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected,
        debug: Environment.GetEnvironmentVariable(CliApplication.DebugVariable) is "1" or "true");

    /// <summary>
    /// A Spectre console over <see cref="Output"/> for rich output (tables): colours and the terminal's width on a
    /// terminal; plain text, no colours and no width limit of its own otherwise (<paramref name="plainWidth"/>).
    /// </summary>
    public IAnsiConsole CreateOutputConsole(int plainWidth)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Output),
            Ansi = OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = OutputIsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!OutputIsTerminal)
        {
            console.Profile.Width = plainWidth;
        }

        return console;
    }
}
