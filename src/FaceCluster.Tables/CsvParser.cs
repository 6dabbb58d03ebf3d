using System.Text;

namespace FaceCluster.Tables;

/// <summary>
/// An RFC 4180 reader: comma-separated fields, optionally enclosed in double quotes (a quoted field may hold commas,
/// doubled quotes and line breaks), records ended by CRLF or LF. Blank lines at the end of the file are ignored.
/// </summary>
internal static class CsvParser
{
    /// <summary>Splits <paramref name="text"/> into records; the first is the header.</summary>
    /// <exception cref="InvalidInputException">A quote is misplaced or a quoted field is not closed.</exception>
    public static List<string[]> Parse(string text, string path)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i = ReadQuoted(text, i + 1, field, path, records.Count);
                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    throw Error(path, records.Count, $"unexpected '{text[i]}' after a closing quote");
                }
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    if (text[i] == '"')
                    {
                        throw Error(path, records.Count, "a double quote inside an unquoted field (quote the field and double its quotes)");
                    }

                    field.Append(text[i++]);
                }
            }

            fields.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',')
            {
                i++;
                if (i == text.Length)
                {
                    fields.Add(string.Empty);
                }
                else
                {
                    continue;
                }
            }
            else if (i < text.Length)
            {
                i += text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
            }

            records.Add([.. fields]);
            fields.Clear();
        }

        while (records.Count > 0 && records[^1] is [""])
        {
            records.RemoveAt(records.Count - 1);
        }

        return records;
    }

    private static int ReadQuoted(string text, int i, StringBuilder field, string path, int record)
    {
        while (i < text.Length)
        {
            if (text[i] != '"')
            {
                field.Append(text[i++]);
            }
            else if (i + 1 < text.Length && text[i + 1] == '"')
            {
                field.Append('"');
                i += 2;
            }
            else
            {
                return i + 1;
            }
        }

        throw Error(path, record, "a quoted field is not closed before the end of the file");
    }

    private static InvalidInputException Error(string path, int record, string problem) =>
        record == 0
            ? InvalidInputException.InFile(path, $"header row: {problem}")
            : InvalidInputException.InFile(path, problem, record);
}
