using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FaceCluster.Tables;
using Spectre.Console;

namespace FaceCluster.Cli.Commands;

/// <summary>
/// <c>facecluster show FILE [--format table|csv|json] [--limit N] [--columns a,b]</c>: prints any Parquet table.
/// </summary>
/// <remarks>
/// Numbers are printed round-trip in the invariant culture. <c>table</c>: a Spectre.Console table, 50 rows unless
/// <c>--limit</c> says otherwise, with a closing line counting the rows left out; nulls appear as <c>null</c>.
/// <c>csv</c>: RFC 4180 with CRLF line ends, all rows by default; NaN and infinities as <c>NaN</c>, <c>Infinity</c>,
/// <c>-Infinity</c>, nulls as empty fields. <c>json</c>: an array of objects (one per row, keys in column order), all
/// rows by default; NaN and infinities as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c> (JSON has no
/// such numbers, and strings keep them apart from nulls), nulls as <c>null</c>. For csv and json the note on rows left
/// out goes to standard error so that standard output stays machine-readable.
/// </remarks>
internal static class ShowCommand
{
    /// <summary>Rows printed by the table format when <c>--limit</c> is not given.</summary>
    public const int DefaultTableLimit = 50;

    private static readonly string[] Formats = ["table", "csv", "json"];

    /// <summary>Builds the <c>show</c> command.</summary>
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "The Parquet table to print (any FaceCluster input or output table)." };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format: table (for reading), csv (RFC 4180) or json (array of objects; NaN/Infinity as strings).",
            DefaultValueFactory = _ => "table",
        };
        format.AcceptOnlyFromAmong(Formats);
        var limit = new Option<int?>("--limit", "-n")
        {
            Description = $"Print at most N rows [default: {DefaultTableLimit} for table, all for csv and json].",
            HelpName = "N",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rows) && rows >= 0)
                {
                    return rows;
                }

                result.AddError($"--limit takes a whole number of 0 or more, not '{text}'.");
                return null;
            },
        };
        var columns = new Option<string?>("--columns", "-c")
        {
            Description = "Print only these columns, in this order (comma-separated names).",
            HelpName = "a,b,...",
        };

        var command = new Command("show", "Print a Parquet table as a table, CSV or JSON.") { file, format, limit, columns };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            context,
            parseResult.GetRequiredValue(file),
            parseResult.GetRequiredValue(format),
            parseResult.GetValue(limit),
            parseResult.GetValue(columns),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        CliContext context, string path, string format, int? limit, string? columnList, CancellationToken cancellationToken)
    {
        var table = await ParquetTableReader.ReadAllAsync(path, cancellationToken).ConfigureAwait(false);
        var columns = SelectColumns(table, columnList);
        var rows = Math.Min(table.RowCount, limit ?? (format == "table" ? DefaultTableLimit : int.MaxValue));
        var leftOut = table.RowCount - rows;
        var note = $"{leftOut} of {table.RowCount} rows not shown; use --limit to show more.";
        switch (format)
        {
            case "table":
                WriteTable(context, columns, rows);
                if (leftOut > 0)
                {
                    await context.Output.WriteLineAsync(note).ConfigureAwait(false);
                }

                return ExitCodes.Success;
            case "csv":
                await WriteCsvAsync(context.Output, columns, rows, cancellationToken).ConfigureAwait(false);
                break;
            default:
                await WriteJsonAsync(context.Output, columns, rows, cancellationToken).ConfigureAwait(false);
                break;
        }

        if (leftOut > 0)
        {
            await context.Error.WriteLineAsync(note).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static List<ParquetColumn> SelectColumns(ParquetTable table, string? columnList)
    {
        if (string.IsNullOrWhiteSpace(columnList))
        {
            return [.. table.Columns];
        }

        var selected = new List<ParquetColumn>();
        foreach (var name in columnList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal))
        {
            var column = table.FindColumn(name);
            if (column is null)
            {
                const int Listed = 10;
                var known = string.Join(", ", table.Columns.Take(Listed).Select(c => c.Name));
                var more = table.Columns.Count > Listed ? $", … ({table.Columns.Count} in all)" : string.Empty;
                throw InvalidInputException.InFile(table.SourcePath, $"no column \"{name}\" (columns: {known}{more})");
            }

            selected.Add(column);
        }

        return selected;
    }

    private static void WriteTable(CliContext context, List<ParquetColumn> columns, int rows)
    {
        var view = new Spectre.Console.Table { Border = TableBorder.Rounded };
        var cells = new string[columns.Count];
        foreach (var column in columns)
        {
            view.AddColumn(new TableColumn(new Text(column.Name)) { Alignment = IsNumeric(column.ValueType) ? Justify.Right : Justify.Left });
        }

        var columnWidths = columns.Select(c => c.Name.Length).ToArray();
        var nullStyle = new Style(decoration: Decoration.Dim);
        for (var i = 0; i < rows; i++)
        {
            var row = new List<Text>(columns.Count);
            for (var j = 0; j < columns.Count; j++)
            {
                var value = columns[j].GetValue(i);
                cells[j] = value is null ? "null" : InvariantText.Format(value);
                columnWidths[j] = Math.Max(columnWidths[j], cells[j].Length);
                row.Add(value is null ? new Text(cells[j], nullStyle) : new Text(cells[j]));
            }

            view.AddRow(row);
        }

        // Off a terminal, never wrap cells: make the console as wide as the table (cells plus padding and borders).
        var width = 1 + columnWidths.Sum(w => w + 3);
        context.CreateOutputConsole(Math.Max(width, 80)).Write(view);
    }

    private static async Task WriteCsvAsync(TextWriter output, List<ParquetColumn> columns, int rows, CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        line.AppendJoin(',', columns.Select(c => InvariantText.CsvField(c.Name))).Append("\r\n");
        await output.WriteAsync(line.ToString()).ConfigureAwait(false);
        for (var i = 0; i < rows; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            line.Clear();
            for (var j = 0; j < columns.Count; j++)
            {
                if (j > 0)
                {
                    line.Append(',');
                }

                line.Append(InvariantText.CsvField(InvariantText.Format(columns[j].GetValue(i))));
            }

            await output.WriteAsync(line.Append("\r\n").ToString()).ConfigureAwait(false);
        }
    }

    private static async Task WriteJsonAsync(TextWriter output, List<ParquetColumn> columns, int rows, CancellationToken cancellationToken)
    {
        const int FlushBytes = 1 << 20;
        var buffer = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartArray();
        for (var i = 0; i < rows; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            json.WriteStartObject();
            foreach (var column in columns)
            {
                json.WritePropertyName(column.Name);
                WriteJsonValue(json, column.GetValue(i));
            }

            json.WriteEndObject();
            if (json.BytesPending + buffer.WrittenCount > FlushBytes)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }

        json.WriteEndArray();
        await FlushAsync().ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);

        async Task FlushAsync()
        {
            await json.FlushAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
            buffer.ResetWrittenCount();
        }
    }

    private static void WriteJsonValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                json.WriteNumberValue(f);
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case sbyte or byte or short or ushort or int or uint or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                json.WriteNumberValue(u);
                break;
            default:
                // Strings, NaN and infinities ("NaN", "Infinity", "-Infinity"), dates and times (ISO 8601), bytes (base64).
                json.WriteStringValue(InvariantText.Format(value));
                break;
        }
    }

    private static bool IsNumeric(Type type) =>
        (type.IsPrimitive && type != typeof(bool) && type != typeof(char)) || type == typeof(decimal);
}
