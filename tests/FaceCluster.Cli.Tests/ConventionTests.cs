using System.CommandLine;
using FaceCluster.Cli.Progress;
using FaceCluster.Tables;

namespace FaceCluster.Cli.Tests;

public sealed class ConventionTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("show", "--help")]
    public async Task Help_exits_0(params string[] args)
    {
        var run = await CliRun.Of(args);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, run.Error);
    }

    [Fact]
    public async Task Root_help_lists_show_and_show_help_lists_its_options()
    {
        var root = await CliRun.Of("--help");
        var show = await CliRun.Of("show", "--help");

        Assert.Contains("show", root.Output, StringComparison.Ordinal);
        foreach (var option in new[] { "--format", "--limit", "--columns", "table", "csv", "json" })
        {
            Assert.Contains(option, show.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Version_exits_0()
    {
        var run = await CliRun.Of("--version");
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("0.1.0", run.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_exceptions_give_exit_code_2_and_exactly_one_line(Exception exception)
    {
        var run = await Invoke(_ => throw exception);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: {exception.Message.ReplaceLineEndings(" ")}", Assert.Single(run.ErrorLines));
    }

    public static TheoryData<Exception> BadInputs() =>
    [
        InvalidInputException.InFile("x.csv", "\"abc\" is not a number", 17, "US:Anger"),
        new FileNotFoundException("Could not find file 'a.parquet'."),
        new DirectoryNotFoundException("Could not find a part of the path '/nope'."),
        new UnauthorizedAccessException("Access to the path '/root/x' is denied."),
    ];

    [Fact]
    public async Task Unexpected_exceptions_give_exit_code_1_one_line_and_a_hint()
    {
        var run = await Invoke(_ => throw new InvalidOperationException("the sky fell\nhard"));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            ["error: unexpected InvalidOperationException: the sky fell hard", "Set FACECLUSTER_DEBUG=1 to print the stack trace."],
            run.ErrorLines);
    }

    [Fact]
    public async Task Debug_mode_prints_the_stack_trace()
    {
        var run = await Invoke(_ => throw new InvalidOperationException("boom"), debug: true);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: unexpected InvalidOperationException: boom", run.Error, StringComparison.Ordinal);
        Assert.Contains("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_exception_inside_an_aggregate_is_reported_as_itself()
    {
        var run = await Invoke(_ => throw new AggregateException(InvalidInputException.InFile("y.parquet", "bad")));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: y.parquet: bad", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Cancellation_gives_exit_code_130()
    {
        using var cancellation = new CancellationTokenSource();
        var run = await Invoke(
            async token =>
            {
                await cancellation.CancelAsync();
                await Task.Delay(Timeout.Infinite, token);
            },
            cancellationToken: cancellation.Token);

        Assert.Equal(130, run.ExitCode);
        Assert.Equal("cancelled", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Plain_progress_writes_lines_when_stderr_is_not_a_terminal()
    {
        using var error = new StringWriter();
        var progress = new ConsoleProgress(error, isTerminal: false, plainInterval: TimeSpan.Zero);

        var result = await progress.RunAsync(reporter =>
        {
            using (var step = reporter.Start("bootstrap", 4))
            {
                Parallel.For(0, 4, _ => step.Advance());
            }

            using (var stopped = reporter.Start("replicates", 10))
            {
                stopped.Advance(3);
            }

            return Task.FromResult(42);
        });

        Assert.Equal(42, result);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("bootstrap: started, 4 to do", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("bootstrap: done 4/4 (100%) in ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("replicates: stopped at 3/10 (30%) in ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plain_progress_is_quiet_between_intervals()
    {
        using var error = new StringWriter();
        var progress = new ConsoleProgress(error, isTerminal: false, plainInterval: TimeSpan.FromHours(1));

        await progress.RunAsync(reporter =>
        {
            using var step = reporter.Start("fit", 1000);
            for (var i = 0; i < 1000; i++)
            {
                step.Advance();
            }

            return Task.CompletedTask;
        });

        Assert.Equal(2, error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static async Task<CliRun> Invoke(
        Func<CancellationToken, Task> action, bool debug = false, CancellationToken? cancellationToken = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new CliContext(output, error, debug: debug);
        var root = CliApplication.BuildRootCommand(context);
        var fail = new Command("fail");
        fail.SetAction(async (_, token) =>
        {
            await action(token);
            return 0;
        });
        root.Add(fail);

        var exitCode = await CliApplication.InvokeAsync(root, ["fail"], context, cancellationToken ?? TestContext.Current.CancellationToken);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }
}
