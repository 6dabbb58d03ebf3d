using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace FaceCluster.Cli.Progress;

/// <summary>
/// Progress on standard error: live Spectre.Console progress bars when it is a terminal, otherwise (CI, logs, tests)
/// plain lines: one when a step starts, at most one per <see cref="PlainInterval"/> while it runs, one when it ends.
/// </summary>
/// <example>
/// <code>
/// var result = await context.Progress.RunAsync(async progress =>
/// {
///     using var step = progress.Start("bootstrap", replicates);
///     ... step.Advance(); ...
///     return result;
/// });
/// </code>
/// </example>
internal sealed class ConsoleProgress
{
    /// <summary>The default time between plain progress lines.</summary>
    public static readonly TimeSpan DefaultPlainInterval = TimeSpan.FromSeconds(5);

    private readonly TextWriter _error;
    private readonly bool _isTerminal;

    /// <summary>Creates progress reporting on <paramref name="error"/>.</summary>
    public ConsoleProgress(TextWriter error, bool isTerminal, TimeSpan? plainInterval = null)
    {
        _error = error;
        _isTerminal = isTerminal;
        PlainInterval = plainInterval ?? DefaultPlainInterval;
    }

    /// <summary>The least time between two plain lines of one step.</summary>
    public TimeSpan PlainInterval { get; }

    /// <summary>Runs <paramref name="work"/>, showing the progress of the steps it starts.</summary>
    public async Task<T> RunAsync<T>(Func<IProgressReporter, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!_isTerminal)
        {
            return await work(new PlainReporter(_error, PlainInterval)).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_error),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
        });
        var progress = console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn());
        return await progress.StartAsync(context => work(new SpectreReporter(context))).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/>, showing the progress of the steps it starts.</summary>
    public Task RunAsync(Func<IProgressReporter, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync<bool>(async progress =>
        {
            await work(progress).ConfigureAwait(false);
            return true;
        });
    }

    private sealed class SpectreReporter(ProgressContext context) : IProgressReporter
    {
        public IProgressStep Start(string description, long total) =>
            new SpectreStep(context.AddTask(Markup.Escape(description), autoStart: true, maxValue: Math.Max(total, 1)));
    }

    private sealed class SpectreStep(ProgressTask task) : IProgressStep
    {
        public void Advance(long amount = 1) => task.Increment(amount);

        public void Dispose() => task.StopTask();
    }

    private sealed class PlainReporter(TextWriter error, TimeSpan interval) : IProgressReporter
    {
        private readonly Lock _lock = new();
        private readonly TimeSpan _interval = interval;

        public IProgressStep Start(string description, long total) => new PlainStep(this, description, total);

        private void WriteLine(string line)
        {
            lock (_lock)
            {
                error.WriteLine(line);
            }
        }

        private sealed class PlainStep : IProgressStep
        {
            private readonly PlainReporter _owner;
            private readonly string _description;
            private readonly long _total;
            private readonly long _started = Stopwatch.GetTimestamp();
            private long _done;
            private long _lastLine;
            private int _ended;

            public PlainStep(PlainReporter owner, string description, long total)
            {
                _owner = owner;
                _description = description;
                _total = total;
                _lastLine = _started;
                owner.WriteLine($"{description}: started, {total} to do");
            }

            public void Advance(long amount = 1)
            {
                var done = Interlocked.Add(ref _done, amount);
                var now = Stopwatch.GetTimestamp();
                var last = Interlocked.Read(ref _lastLine);
                if (Stopwatch.GetElapsedTime(last, now) < _owner._interval
                    || Volatile.Read(ref _ended) != 0
                    || Interlocked.CompareExchange(ref _lastLine, now, last) != last)
                {
                    return;
                }

                _owner.WriteLine($"{_description}: {Count(done)} after {Seconds(now)}");
            }

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _ended, 1) != 0)
                {
                    return;
                }

                var done = Interlocked.Read(ref _done);
                var outcome = done >= _total ? "done" : "stopped at";
                _owner.WriteLine($"{_description}: {outcome} {Count(done)} in {Seconds(Stopwatch.GetTimestamp())}");
            }

            private string Count(long done) => _total > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{done}/{_total} ({100.0 * done / _total:0}%)")
                : done.ToString(CultureInfo.InvariantCulture);

            private string Seconds(long now) =>
                string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(_started, now).TotalSeconds:0.0} s");
        }
    }
}
