namespace FaceCluster.Grains;

/// <summary>Checks that run kinds share: inputs that must exist under the data root.</summary>
public static class KindChecks
{
    /// <summary>Adds a problem unless <paramref name="path"/> names a file under the data root.</summary>
    public static void InputFile(List<string> errors, string dataRoot, string field, string? path) => Input(errors, dataRoot, field, path, File.Exists, "file");

    /// <summary>Adds a problem unless <paramref name="path"/> names a folder under the data root.</summary>
    public static void InputFolder(List<string> errors, string dataRoot, string field, string? path) => Input(errors, dataRoot, field, path, Directory.Exists, "folder");

    /// <summary>Adds a problem unless <paramref name="path"/> names a study folder (one with <c>study.json</c>) under the data root.</summary>
    public static void StudyFolder(List<string> errors, string dataRoot, string field, string? path) =>
        Input(errors, dataRoot, field, path, folder => File.Exists(Path.Combine(folder, Studies.StudyManifest.FileName)), $"study folder (with {Studies.StudyManifest.FileName})");

    /// <summary>Adds a problem when the output folder of <paramref name="request"/> exists already (or leaves the data root).</summary>
    public static void NewOutput(List<string> errors, string dataRoot, RunRequest request)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            if (Directory.Exists(DataRootPaths.Resolve(dataRoot, request.OutputPath, allowRoot: true)))
            {
                errors.Add($"the output folder '{request.OutputPath}' already exists");
            }
        }
        catch (ArgumentException e)
        {
            errors.Add($"the output folder: {e.Message}");
        }
    }

    /// <summary>Adds a problem unless <paramref name="path"/> stays under the data root (it need not exist).</summary>
    public static void OutputPath(List<string> errors, string dataRoot, string field, string? path) => Input(errors, dataRoot, field, path, _ => true, "path");

    private static void Input(List<string> errors, string dataRoot, string field, string? path, Func<string, bool> exists, string what)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add($"{field} is required");
            return;
        }

        try
        {
            if (!exists(DataRootPaths.Resolve(dataRoot, path)))
            {
                errors.Add($"{field}: the {what} '{path}' does not exist under the data root");
            }
        }
        catch (ArgumentException e)
        {
            errors.Add($"{field}: {e.Message}");
        }
    }
}
