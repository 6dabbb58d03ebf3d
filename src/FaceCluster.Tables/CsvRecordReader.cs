using System.Text;

namespace FaceCluster.Tables;

/// <summary>
/// Reads an RFC 4180 CSV file one record at a time (the same dialect as the wide-table reader: comma-separated
/// fields, optionally in double quotes that may hold commas, doubled quotes and line breaks; records ended by CRLF
/// or LF), so that files larger than memory can be processed in a single pass.
/// </summary>
/// <remarks>
/// <para>Blank lines are skipped and not counted. <see cref="Record"/> numbers records as the rest of FaceCluster
/// numbers rows: the header is record 0 and data rows are 1-based, so a problem in the record just read is
/// reported as <c>InvalidInputException.InFile(path, problem, (int)reader.Record)</c>.</para>
/// <para>Text is UTF-8 (a byte order mark is skipped). Not thread-safe.</para>
/// </remarks>
public sealed class CsvRecordReader : IDisposable
{
    private const int BufferSize = 1 << 16;

    private readonly TextReader _reader;
    private readonly Stream? _stream;
    private readonly char[] _buffer = new char[BufferSize];
    private readonly StringBuilder _field = new();
    private int _position;
    private int _length;
    private bool _endOfInput;

    /// <summary>Reads records from <paramref name="reader"/>; <paramref name="path"/> is named in errors. The reader is disposed with this one.</summary>
    public CsvRecordReader(TextReader reader, string path)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(path);
        _reader = reader;
        Path = path;
        Record = -1;
    }

    private CsvRecordReader(StreamReader reader, string path)
        : this((TextReader)reader, path)
    {
        _stream = reader.BaseStream;
    }

    /// <summary>The file named in errors.</summary>
    public string Path { get; }

    /// <summary>The number of the record last read: 0 for the header, then 1, 2, … for data rows; -1 before the first.</summary>
    public long Record { get; private set; }

    /// <summary>How far the underlying file has been read, in bytes (ahead of <see cref="Record"/> by up to a buffer); 0 when not reading a file.</summary>
    public long BytesRead => _stream?.Position ?? 0;

    /// <summary>The length of the underlying file in bytes; 0 when not reading a file.</summary>
    public long Length => _stream?.Length ?? 0;

    /// <summary>Opens <paramref name="path"/> for reading.</summary>
    /// <exception cref="InvalidInputException">The file is missing or cannot be opened.</exception>
    public static CsvRecordReader Open(string path)
    {
        InputFile.RequireExisting(path);
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
            return new CsvRecordReader(new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, BufferSize), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw InvalidInputException.InFile(path, $"cannot be read ({InputFile.Brief(e.Message)})", innerException: e);
        }
    }

    /// <summary>
    /// Reads the next record into <paramref name="fields"/> (cleared first). Returns <see langword="false"/> at the end of the file.
    /// </summary>
    /// <exception cref="InvalidInputException">A quote is misplaced, a quoted field is not closed, or the file cannot be read.</exception>
    public bool TryReadRecord(List<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        while (true)
        {
            fields.Clear();
            if (!EnsureData())
            {
                return false;
            }

            Record++;
            var end = false;
            while (!end)
            {
                fields.Add(ReadField(out end));
            }

            if (fields is [""])
            {
                // A blank line: skip it without counting it.
                Record--;
                continue;
            }

            return true;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _reader.Dispose();

    /// <summary>Reads one field and the delimiter after it; <paramref name="endOfRecord"/> tells whether it ended the record.</summary>
    private string ReadField(out bool endOfRecord)
    {
        string value;
        if (EnsureData() && _buffer[_position] == '"')
        {
            _position++;
            value = ReadQuoted();
            if (EnsureData() && _buffer[_position] is not (',' or '\r' or '\n'))
            {
                throw Error($"unexpected '{_buffer[_position]}' after a closing quote");
            }
        }
        else
        {
            value = ReadUnquoted();
        }

        endOfRecord = ReadDelimiter();
        return value;
    }

    private string ReadUnquoted()
    {
        _field.Clear();
        while (EnsureData())
        {
            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(",\"\r\n");
            if (stop < 0)
            {
                _field.Append(span);
                _position = _length;
                continue;
            }

            if (span[stop] == '"')
            {
                throw Error("a double quote inside an unquoted field (quote the field and double its quotes)");
            }

            _position += stop;
            if (_field.Length == 0)
            {
                return new string(span[..stop]);
            }

            _field.Append(span[..stop]);
            break;
        }

        return _field.ToString();
    }

    private string ReadQuoted()
    {
        _field.Clear();
        while (true)
        {
            if (!EnsureData())
            {
                throw Error("a quoted field is not closed before the end of the file");
            }

            var span = _buffer.AsSpan(_position, _length - _position);
            var quote = span.IndexOf('"');
            if (quote < 0)
            {
                _field.Append(span);
                _position = _length;
                continue;
            }

            _field.Append(span[..quote]);
            _position += quote + 1;
            if (EnsureData() && _buffer[_position] == '"')
            {
                _field.Append('"');
                _position++;
                continue;
            }

            return _field.ToString();
        }
    }

    /// <summary>Consumes the delimiter after a field; returns whether the record ended (line break or end of file).</summary>
    private bool ReadDelimiter()
    {
        if (!EnsureData())
        {
            return true;
        }

        var c = _buffer[_position++];
        if (c == ',')
        {
            return false;
        }

        if (c == '\r' && EnsureData() && _buffer[_position] == '\n')
        {
            _position++;
        }

        return true;
    }

    /// <summary>Whether a character is available at <see cref="_position"/>, reading more when the buffer is used up.</summary>
    private bool EnsureData()
    {
        if (_position < _length)
        {
            return true;
        }

        if (_endOfInput)
        {
            return false;
        }

        try
        {
            _length = _reader.Read(_buffer, 0, _buffer.Length);
        }
        catch (IOException e)
        {
            throw InvalidInputException.InFile(Path, $"cannot be read ({InputFile.Brief(e.Message)})", innerException: e);
        }

        _position = 0;
        _endOfInput = _length == 0;
        return !_endOfInput;
    }

    private InvalidInputException Error(string problem) =>
        Record <= 0
            ? InvalidInputException.InFile(Path, $"header row: {problem}")
            : InvalidInputException.InFile(Path, problem, (int)Math.Min(Record, int.MaxValue));
}
