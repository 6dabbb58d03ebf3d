namespace FaceCluster.Tables.Tests;

public sealed class StagedOutputDirectoryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Committed_outputs_appear_in_the_target_and_nothing_else_remains()
    {
        var target = _folder.File("out");
        using (var output = StagedOutputDirectory.Create(target, overwrite: false))
        {
            Assert.StartsWith(".out.tmp-", Path.GetFileName(output.StagingPath), StringComparison.Ordinal);
            Assert.Equal(_folder.Path, Path.GetDirectoryName(output.StagingPath));
            await File.WriteAllTextAsync(output.GetPath("a.txt"), "A", Ct);
            Assert.False(Directory.Exists(target));

            await output.CommitAsync(Ct);

            Assert.True(output.IsCommitted);
            Assert.Equal(Path.GetFullPath(target), output.TargetPath);
        }

        Assert.Equal(["out"], _folder.Entries());
        Assert.Equal("A", await File.ReadAllTextAsync(Path.Combine(target, "a.txt"), Ct));
    }

    [Fact]
    public async Task Disposing_without_commit_leaves_nothing()
    {
        using (var output = StagedOutputDirectory.Create(_folder.File("out"), overwrite: false))
        {
            await File.WriteAllTextAsync(output.GetPath("a.txt"), "A", Ct);
        }

        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void An_existing_target_is_refused_without_overwrite()
    {
        var target = Directory.CreateDirectory(_folder.File("out")).FullName;

        var error = Assert.Throws<InvalidInputException>(() => StagedOutputDirectory.Create(target, overwrite: false));

        Assert.StartsWith(target + ": already exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(["out"], _folder.Entries());
    }

    [Fact]
    public async Task Overwrite_replaces_the_old_folder_whole()
    {
        var target = Directory.CreateDirectory(_folder.File("out")).FullName;
        await File.WriteAllTextAsync(Path.Combine(target, "old.txt"), "old", Ct);

        using (var output = StagedOutputDirectory.Create(target, overwrite: true))
        {
            await File.WriteAllTextAsync(output.GetPath("new.txt"), "new", Ct);
            Assert.True(File.Exists(Path.Combine(target, "old.txt")));
            await output.CommitAsync(Ct);
        }

        Assert.Equal(["out"], _folder.Entries());
        Assert.Equal(["new.txt"], Directory.GetFiles(target).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Overwrite_leaves_the_old_folder_when_the_run_fails()
    {
        var target = Directory.CreateDirectory(_folder.File("out")).FullName;
        await File.WriteAllTextAsync(Path.Combine(target, "old.txt"), "old", Ct);

        using (var output = StagedOutputDirectory.Create(target, overwrite: true))
        {
            await File.WriteAllTextAsync(output.GetPath("new.txt"), "new", Ct);
        }

        Assert.Equal(["out"], _folder.Entries());
        Assert.Equal(["old.txt"], Directory.GetFiles(target).Select(Path.GetFileName));
    }

    [Fact]
    public void A_file_in_the_way_is_refused()
    {
        var path = _folder.WriteText("out", "a file");
        Assert.Throws<InvalidInputException>(() => StagedOutputDirectory.Create(path, overwrite: true));
    }

    [Fact]
    public async Task Missing_parent_folders_are_created()
    {
        var target = Path.Combine(_folder.Path, "a", "b", "out");
        using var output = StagedOutputDirectory.Create(target, overwrite: false);
        await output.CommitAsync(Ct);
        Assert.True(Directory.Exists(target));
    }
}
