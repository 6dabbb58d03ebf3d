using System.Text;

namespace FaceCluster.Tables;

/// <summary>
/// A wide table (study-format.md, "Derived tables"): one row per seed, a <c>seed_id</c> column, then one numeric
/// column per attribute (for example <c>US:Anger</c>). Values are finite doubles, row-major.
/// </summary>
/// <remarks>
/// Every instance is valid: the constructor refuses (with <see cref="InvalidInputException"/> naming
/// <see cref="SourcePath"/>, the 1-based row and the column) empty or duplicate seed ids, empty or duplicate
/// column names, no attribute columns, fewer than <see cref="MinimumRows"/> rows, NaN or infinite values, and
/// columns whose centred sums of squares exceed <see cref="InputLimits.MaxSumOfSquares"/> (see <see cref="ValueChecks"/>).
/// The arrays are taken as they are, not copied; do not change them afterwards.
/// </remarks>
public sealed class WideTable
{
    /// <summary>The name of the first column.</summary>
    public const string SeedIdColumn = "seed_id";

    /// <summary>The fewest rows a wide table may have.</summary>
    public const int MinimumRows = 3;

    /// <summary>Creates a table and validates it.</summary>
    /// <param name="seedIds">One id per row.</param>
    /// <param name="attributes">One name per attribute column, in column order.</param>
    /// <param name="values">Row-major values, <c>seedIds.Length * attributes.Length</c> of them.</param>
    /// <param name="sourcePath">The file the table was read from, or a label for a computed table; named in errors.</param>
    /// <exception cref="ArgumentException">The array lengths do not agree.</exception>
    /// <exception cref="InvalidInputException">The content is not a valid wide table.</exception>
    public WideTable(string[] seedIds, string[] attributes, double[] values, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(seedIds);
        ArgumentNullException.ThrowIfNull(attributes);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(sourcePath);
        if ((long)seedIds.Length * attributes.Length != values.Length)
        {
            throw new ArgumentException(
                $"{values.Length} values do not fill {seedIds.Length} rows x {attributes.Length} columns.", nameof(values));
        }

        SeedIds = seedIds;
        Attributes = attributes;
        Values = values;
        SourcePath = sourcePath;
        Validate();
    }

    /// <summary>The seed id of each row.</summary>
    public string[] SeedIds { get; }

    /// <summary>The attribute names, in column order (without <c>seed_id</c>).</summary>
    public string[] Attributes { get; }

    /// <summary>Row-major values: row <c>i</c>, attribute <c>j</c> is at <c>i * ColumnCount + j</c>.</summary>
    public double[] Values { get; }

    /// <summary>The file the table was read from, or a label for a computed table.</summary>
    public string SourcePath { get; }

    /// <summary>The number of rows (seeds).</summary>
    public int RowCount => SeedIds.Length;

    /// <summary>The number of attribute columns.</summary>
    public int ColumnCount => Attributes.Length;

    /// <summary>The value of row <paramref name="row"/>, attribute <paramref name="column"/> (0-based).</summary>
    public double this[int row, int column] => Values[(row * ColumnCount) + column];

    /// <summary>
    /// Returns this table reordered to <paramref name="reference"/>'s row and column order. Both tables must cover
    /// the same seed ids (matched by <c>seed_id</c>) and the same attributes (matched by name).
    /// </summary>
    /// <exception cref="InvalidInputException">
    /// The seed ids or attributes differ; the message names this table's file, up to three ids missing on
    /// either side, and how many.
    /// </exception>
    public WideTable AlignTo(WideTable reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var rowOf = IndexOf(SeedIds);
        var columnOf = IndexOf(Attributes);

        var problems = new List<string>();
        Describe(problems, "seed id", reference.SeedIds, rowOf, SeedIds, IndexOf(reference.SeedIds), reference.SourcePath);
        Describe(problems, "attribute", reference.Attributes, columnOf, Attributes, IndexOf(reference.Attributes), reference.SourcePath);
        if (problems.Count > 0)
        {
            throw InvalidInputException.InFile(
                SourcePath, $"does not match {reference.SourcePath}: {string.Join("; ", problems)}");
        }

        int rows = reference.RowCount, columns = reference.ColumnCount;
        var rowMap = Array.ConvertAll(reference.SeedIds, id => rowOf[id]);
        var columnMap = Array.ConvertAll(reference.Attributes, name => columnOf[name]);
        var values = new double[Values.Length];
        for (var i = 0; i < rows; i++)
        {
            var source = rowMap[i] * ColumnCount;
            for (var j = 0; j < columns; j++)
            {
                values[(i * columns) + j] = Values[source + columnMap[j]];
            }
        }

        return new WideTable((string[])reference.SeedIds.Clone(), (string[])reference.Attributes.Clone(), values, SourcePath);
    }

    private static Dictionary<string, int> IndexOf(string[] names)
    {
        var index = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            index[names[i]] = i;
        }

        return index;
    }

    private static void Describe(
        List<string> problems,
        string what,
        string[] referenceNames,
        Dictionary<string, int> here,
        string[] names,
        Dictionary<string, int> inReference,
        string referencePath)
    {
        var missing = referenceNames.Where(n => !here.ContainsKey(n)).ToList();
        var extra = names.Where(n => !inReference.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{Count(missing.Count, what)} of {referencePath} missing here ({Sample(missing)})");
        }

        if (extra.Count > 0)
        {
            problems.Add($"{Count(extra.Count, what)} not in {referencePath} ({Sample(extra)})");
        }
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Sample(List<string> names)
    {
        const int Shown = 3;
        var text = new StringBuilder();
        text.AppendJoin(", ", names.Take(Shown).Select(n => $"\"{n}\""));
        if (names.Count > Shown)
        {
            text.Append(", …");
        }

        return text.ToString();
    }

    private void Validate()
    {
        if (ColumnCount == 0)
        {
            throw InvalidInputException.InFile(SourcePath, $"no attribute columns after {SeedIdColumn}");
        }

        var columnNumber = new Dictionary<string, int>(StringComparer.Ordinal) { [SeedIdColumn] = 1 };
        for (var j = 0; j < ColumnCount; j++)
        {
            var name = Attributes[j];
            if (string.IsNullOrEmpty(name))
            {
                throw InvalidInputException.InFile(SourcePath, $"column {j + 2} has an empty name");
            }

            if (!columnNumber.TryAdd(name, j + 2))
            {
                throw InvalidInputException.InFile(
                    SourcePath, $"duplicate column name (columns {columnNumber[name]} and {j + 2})", column: name);
            }
        }

        if (RowCount < MinimumRows)
        {
            throw InvalidInputException.InFile(
                SourcePath, $"{RowCount} data rows; a wide table needs at least {MinimumRows}");
        }

        var rowOf = new Dictionary<string, int>(RowCount, StringComparer.Ordinal);
        for (var i = 0; i < RowCount; i++)
        {
            var id = SeedIds[i];
            if (string.IsNullOrEmpty(id))
            {
                throw InvalidInputException.InFile(
                    SourcePath, id is null ? "missing seed id (null)" : "empty seed id", i + 1, SeedIdColumn);
            }

            if (!rowOf.TryAdd(id, i + 1))
            {
                throw InvalidInputException.InFile(
                    SourcePath, $"duplicate seed id \"{id}\" (also in row {rowOf[id]})", i + 1, SeedIdColumn);
            }
        }

        // One pass for finiteness and column sums, one for the centred sums of squares (which the analysis would
        // otherwise overflow into NaN).
        ValueChecks.CheckInput(SourcePath, Attributes, Values);
    }
}
