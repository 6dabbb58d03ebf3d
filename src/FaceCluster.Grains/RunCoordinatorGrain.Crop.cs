namespace FaceCluster.Grains;

/// <summary>What a crop run checks before it is accepted.</summary>
public sealed partial class RunCoordinatorGrain
{
    /// <summary>
    /// A crop run reads a study folder (<see cref="RunRequest.YPath"/>) and writes into a crop folder
    /// (<see cref="RunRequest.OutputPath"/>) that may already hold shards of an earlier run with the same settings.
    /// </summary>
    private List<string> ValidateCrop(RunRequest request)
    {
        var errors = new List<string>();
        if (request.Crop is null)
        {
            errors.Add("a crop run needs its crop settings");
        }
        else
        {
            errors.AddRange(request.Crop.Validate());
        }

        try
        {
            var manifest = Path.Combine(DataRootPaths.Resolve(_options.DataRoot, request.YPath), Studies.StudyManifest.FileName);
            if (!File.Exists(manifest))
            {
                errors.Add($"the study folder '{request.YPath}' has no {Studies.StudyManifest.FileName} under the data root");
            }
        }
        catch (ArgumentException e)
        {
            errors.Add($"the study folder: {e.Message}");
        }

        try
        {
            _ = DataRootPaths.Resolve(_options.DataRoot, request.OutputPath);
        }
        catch (ArgumentException e)
        {
            errors.Add($"the crop folder: {e.Message}");
        }

        return errors;
    }
}
