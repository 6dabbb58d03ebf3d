namespace FaceCluster.Tables.Tests;

internal static class Expect
{
    /// <summary>
    /// Asserts that reading fails with an <see cref="InvalidInputException"/> whose message is one line, starts with
    /// the file and holds every fragment (row, column, problem).
    /// </summary>
    public static async Task<InvalidInputException> Invalid(Func<Task> read, string file, params string[] fragments)
    {
        var error = await Assert.ThrowsAsync<InvalidInputException>(read);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        Assert.StartsWith(file + ": ", error.Message, StringComparison.Ordinal);
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }

        return error;
    }

    public static Task<InvalidInputException> InvalidWide(string path, params string[] fragments) =>
        Invalid(() => WideTableReader.ReadAsync(path, TestContext.Current.CancellationToken), path, fragments);
}
