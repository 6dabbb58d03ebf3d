using FaceCluster.Tables;

namespace FaceCluster.Studies;

/// <summary>
/// The files of a study folder (study-format.md, "A study folder"): <c>study.json</c>, the images table
/// (<c>images.parquet</c>, or <c>images.csv</c>) and the ratings table (<c>ratings.parquet</c>, or
/// <c>ratings.csv</c>). When both a Parquet and a CSV file exist, the Parquet file is used (and validation warns).
/// </summary>
public sealed class StudyFolder
{
    /// <summary>The base name of the images table.</summary>
    public const string ImagesTable = "images";

    /// <summary>The base name of the ratings table.</summary>
    public const string RatingsTable = "ratings";

    private StudyFolder(string path)
    {
        Path = path;
        ManifestPath = System.IO.Path.Combine(path, StudyManifest.FileName);
        ImagesPath = Find(path, ImagesTable);
        RatingsPath = Find(path, RatingsTable);
    }

    /// <summary>The study folder (full path).</summary>
    public string Path { get; }

    /// <summary>The manifest, <c>study.json</c> (which may not exist).</summary>
    public string ManifestPath { get; }

    /// <summary>The images table, or <see langword="null"/> when the folder has none.</summary>
    public string? ImagesPath { get; }

    /// <summary>The ratings table, or <see langword="null"/> when the folder has none.</summary>
    public string? RatingsPath { get; }

    /// <summary>The name of the images table for messages (relative to the folder): <c>images.parquet</c> when there is none.</summary>
    public string ImagesName => ImagesPath is null ? ImagesTable + ".parquet" : RelativeName(ImagesPath);

    /// <summary>The name of the ratings table for messages (relative to the folder): <c>ratings.parquet</c> when there is none.</summary>
    public string RatingsName => RatingsPath is null ? RatingsTable + ".parquet" : RelativeName(RatingsPath);

    /// <summary>Opens the study folder <paramref name="folder"/> (the files are looked up, not read).</summary>
    /// <exception cref="InvalidInputException">The folder does not exist or is a file.</exception>
    public static StudyFolder Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(folder));
        if (File.Exists(path))
        {
            throw InvalidInputException.InFile(folder, "is a file; give the study folder (the one holding study.json)");
        }

        if (!Directory.Exists(path))
        {
            throw InvalidInputException.InFile(folder, "study folder not found");
        }

        return new StudyFolder(path);
    }

    /// <summary><paramref name="path"/> relative to the study folder, with <c>/</c> separators.</summary>
    public string RelativeName(string path) =>
        System.IO.Path.GetRelativePath(Path, path).Replace(System.IO.Path.DirectorySeparatorChar, '/');

    /// <summary>Reports missing and ambiguous tables.</summary>
    internal void ReportTables(StudyProblemLog log)
    {
        foreach (var (table, found) in new[] { (ImagesTable, ImagesPath), (RatingsTable, RatingsPath) })
        {
            if (found is null)
            {
                log.Error(StudyProblemKind.TableMissing, table + ".parquet", null, null, $"file not found (nor {table}.csv); a study folder needs its {table} table");
            }
            else if (found.EndsWith(".parquet", StringComparison.Ordinal) && File.Exists(System.IO.Path.Combine(Path, table + ".csv")))
            {
                log.Warning(StudyProblemKind.TableAmbiguous, table + ".csv", null, null, $"both {table}.parquet and {table}.csv exist; {table}.parquet is used");
            }
        }
    }

    private static string? Find(string folder, string table)
    {
        foreach (var extension in new[] { ".parquet", ".csv" })
        {
            var path = System.IO.Path.Combine(folder, table + extension);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}
