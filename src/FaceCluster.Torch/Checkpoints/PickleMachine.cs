using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace FaceCluster.Torch.Checkpoints;

/// <summary>
/// A pickle interpreter for the opcodes state dicts use (protocols 0 to 5). It builds plain data only: no Python
/// callable ever runs; every class a pickle names goes through <see cref="PickleGlobals"/>, whose allow-list turns the
/// few a state dict needs into markers this machine interprets itself (a dict, a tensor description, a storage type).
/// </summary>
/// <remarks>
/// Values: <c>None</c> is null; int is <see cref="long"/> or <see cref="BigInteger"/>; float is <see cref="double"/>;
/// str is <see cref="string"/>; bytes are <see cref="byte"/>[]; tuple is <see cref="object"/>[]; list is
/// <see cref="List{T}"/>; dict and OrderedDict are <see cref="PickleDict"/>.
/// </remarks>
internal sealed class PickleMachine
{
    // A string or byte run longer than this is a damaged length field, not data: state-dict pickles hold names.
    private const long MaxInlineLength = 1L << 30;

    private readonly Stream _stream;
    private readonly string _path;
    private readonly Func<object?, object> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private long _opcodeOffset;

    /// <param name="stream">Positioned at the pickle's first byte; left just after its STOP.</param>
    /// <param name="path">The checkpoint, for messages.</param>
    /// <param name="persistentLoad">Resolves a BINPERSID id (torch: a storage reference).</param>
    public PickleMachine(Stream stream, string path, Func<object?, object> persistentLoad)
    {
        _stream = stream;
        _path = path;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Runs one pickle up to its STOP and returns the value it built.</summary>
    public static object? Load(Stream stream, string path, Func<object?, object>? persistentLoad = null) =>
        new PickleMachine(stream, path, persistentLoad ?? (id => throw new CheckpointFormatException(
            path, $"{path}: unexpected persistent id {Describe(id)} in a pickle that should hold plain data"))).Run();

    /// <summary>Runs the pickle up to its STOP and returns the value it built.</summary>
    public object? Run()
    {
        while (true)
        {
            _opcodeOffset = _stream.Position;
            var opcode = _stream.ReadByte();
            if (opcode < 0)
            {
                throw Error($"truncated: the pickle ends at offset {_opcodeOffset} without a STOP opcode");
            }

            switch ((byte)opcode)
            {
                case 0x80: // PROTO
                    var protocol = ReadUInt8();
                    if (protocol > 5)
                    {
                        throw Error($"pickle protocol {protocol} is newer than 5");
                    }

                    break;
                case 0x95: // FRAME: a length prefix for buffering; the opcodes inside follow as usual.
                    ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    var result = Pop();
                    if (_stack.Count != 0 || _marks.Count != 0)
                    {
                        throw Error($"STOP leaves {_stack.Count} values and {_marks.Count} marks on the stack");
                    }

                    return result;

                case (byte)'(': // MARK
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek());
                    break;

                case (byte)'N':
                    Push(null);
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadUInt8());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)));
                    break;
                case 0x8a: // LONG1
                    Push(ReadLong(ReadUInt8()));
                    break;
                case 0x8b: // LONG4
                    Push(ReadLong(ReadLength(4)));
                    break;
                case (byte)'I': // INT (protocol 0): "I01\n" and "I00\n" are True and False.
                    Push(ReadTextInt());
                    break;
                case (byte)'L': // LONG (protocol 0)
                    Push(ReadTextLong());
                    break;
                case (byte)'G': // BINFLOAT
                    Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8)));
                    break;

                case (byte)'X': // BINUNICODE
                    Push(ReadUtf8(ReadLength(4)));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(ReadUtf8(ReadUInt8()));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(ReadUtf8(ReadLength(8)));
                    break;
                case (byte)'T': // BINSTRING: Python 2 str; torch.load decodes these as UTF-8.
                    Push(ReadUtf8(ReadLength(4)));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(ReadUtf8(ReadUInt8()));
                    break;
                case (byte)'B': // BINBYTES
                    Push(ReadBytes(ReadLength(4)));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(ReadBytes(ReadUInt8()));
                    break;
                case 0x8e: // BINBYTES8
                    Push(ReadBytes(ReadLength(8)));
                    break;
                case 0x96: // BYTEARRAY8
                    Push(ReadBytes(ReadLength(8)));
                    break;

                case (byte)'p': // PUT
                    _memo[ReadTextIndex()] = Peek();
                    break;
                case (byte)'q': // BINPUT
                    _memo[ReadUInt8()] = Peek();
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[ReadLength(4)] = Peek();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek();
                    break;
                case (byte)'g': // GET
                    Push(Recall(ReadTextIndex()));
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadUInt8()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(ReadLength(4)));
                    break;

                case (byte)')': // EMPTY_TUPLE
                    Push(Array.Empty<object?>());
                    break;
                case 0x85: // TUPLE1
                    Push(PopTuple(1));
                    break;
                case 0x86: // TUPLE2
                    Push(PopTuple(2));
                    break;
                case 0x87: // TUPLE3
                    Push(PopTuple(3));
                    break;
                case (byte)'t': // TUPLE
                    Push(PopMark().ToArray());
                    break;
                case (byte)']': // EMPTY_LIST
                    Push(new List<object?>());
                    break;
                case (byte)'l': // LIST
                    Push(PopMark());
                    break;
                case (byte)'a': // APPEND
                    {
                        var item = Pop();
                        ExpectList(Peek(), "APPEND").Add(item);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        var items = PopMark();
                        ExpectList(Peek(), "APPENDS").AddRange(items);
                        break;
                    }

                case (byte)'}': // EMPTY_DICT
                    Push(new PickleDict(isOrdered: false));
                    break;
                case (byte)'d': // DICT
                    {
                        var dict = new PickleDict(isOrdered: false);
                        SetItems(dict, PopMark());
                        Push(dict);
                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        var value = Pop();
                        var key = Pop();
                        SetItems(ExpectDict(Peek(), "SETITEM"), [key, value]);
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        SetItems(ExpectDict(Peek(), "SETITEMS"), items);
                        break;
                    }

                case (byte)'c': // GLOBAL
                    {
                        var module = ReadLine();
                        var name = ReadLine();
                        Push(PickleGlobals.Resolve(module, name, _path));
                        break;
                    }

                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop();
                        var module = Pop();
                        if (module is not string moduleText || name is not string nameText)
                        {
                            throw Error("STACK_GLOBAL needs a module and a name as strings");
                        }

                        Push(PickleGlobals.Resolve(moduleText, nameText, _path));
                        break;
                    }

                case (byte)'R': // REDUCE
                    {
                        var arguments = Pop();
                        var callable = Pop();
                        Push(PickleGlobals.Call(ExpectGlobal(callable, "REDUCE"), ExpectTuple(arguments, "REDUCE"), _path, _opcodeOffset));
                        break;
                    }

                case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                    {
                        var arguments = Pop();
                        var cls = Pop();
                        Push(PickleGlobals.Call(ExpectGlobal(cls, "NEWOBJ"), ExpectTuple(arguments, "NEWOBJ"), _path, _opcodeOffset));
                        break;
                    }

                case (byte)'b': // BUILD
                    {
                        var state = Pop();
                        PickleGlobals.Build(Peek(), state, _path, _opcodeOffset);
                        break;
                    }

                case (byte)'Q': // BINPERSID
                    Push(_persistentLoad(Pop()));
                    break;

                default:
                    throw Error($"unsupported pickle opcode 0x{opcode:x2}" +
                        (opcode is >= 0x20 and < 0x7f ? $" ('{(char)opcode}')" : string.Empty) +
                        ": a state dict does not need it");
            }
        }
    }

    /// <summary>A short rendering of a pickled value for messages; bounded, because memo references can make cycles.</summary>
    internal static string Describe(object? value)
    {
        var text = Describe(value, depth: 0);
        return text.Length <= 240 ? text : text[..240] + "...";
    }

    private static string Describe(object? value, int depth)
    {
        const int MaxItems = 8;
        if (depth > 3)
        {
            return "...";
        }

        string Items(IReadOnlyList<object?> items) =>
            string.Join(", ", items.Take(MaxItems).Select(item => Describe(item, depth + 1))) + (items.Count > MaxItems ? ", ..." : string.Empty);

        return value switch
        {
            null => "None",
            bool flag => flag ? "True" : "False",
            string text => text.Length <= 80 ? $"'{text}'" : $"'{text[..80]}...'",
            object?[] tuple => tuple.Length == 1 ? $"({Items(tuple)},)" : $"({Items(tuple)})",
            List<object?> list => $"[{Items(list)}]",
            PickleDict dict => $"{(dict.IsOrdered ? "OrderedDict" : "dict")} of {dict.Count} items",
            PickleGlobal global => global.FullName,
            StorageReference storage => $"storage '{storage.Key}'",
            TensorReference tensor => $"tensor [{string.Join(",", tensor.Shape)}]",
            byte[] bytes => $"{bytes.Length} bytes",
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? value.GetType().Name,
        };
    }

    private CheckpointFormatException Error(string problem) =>
        new(_path, $"{_path}: {problem} (pickle opcode at offset {_opcodeOffset})");

    private void Push(object? value) => _stack.Add(value);

    private object? Peek()
    {
        var floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor)
        {
            throw Error("stack underflow: the pickle is damaged");
        }

        return _stack[^1];
    }

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Error("no MARK on the stack");
        }

        var start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private object?[] PopTuple(int count)
    {
        var items = new object?[count];
        for (var i = count - 1; i >= 0; i--)
        {
            items[i] = Pop();
        }

        return items;
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} was never stored");

    private void SetItems(PickleDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0)
        {
            throw Error("odd number of values for dict items");
        }

        for (var i = 0; i < items.Count; i += 2)
        {
            dict.Set(items[i] ?? throw Error("None as a dict key"), items[i + 1]);
        }
    }

    private List<object?> ExpectList(object? value, string opcode) =>
        value as List<object?> ?? throw Error($"{opcode} on a {TypeName(value)}, not a list");

    private PickleDict ExpectDict(object? value, string opcode) =>
        value as PickleDict ?? throw Error($"{opcode} on a {TypeName(value)}, not a dict");

    private object?[] ExpectTuple(object? value, string opcode) =>
        value as object?[] ?? throw Error($"{opcode} arguments are a {TypeName(value)}, not a tuple");

    private PickleGlobal ExpectGlobal(object? value, string opcode) =>
        value as PickleGlobal ?? throw Error($"{opcode} on a {TypeName(value)}, which cannot be called");

    private static string TypeName(object? value) => value switch
    {
        null => "None",
        object?[] => "tuple",
        List<object?> => "list",
        PickleDict => "dict",
        string => "str",
        long or BigInteger => "int",
        _ => value.GetType().Name,
    };

    private byte ReadUInt8()
    {
        var value = _stream.ReadByte();
        return value >= 0 ? (byte)value : throw Truncated();
    }

    private long ReadLength(int width)
    {
        var bytes = ReadBytes(width);
        var length = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return length is >= 0 and <= MaxInlineLength ? length : throw Error($"length {length} is out of range");
    }

    private byte[] ReadBytes(long count)
    {
        if (_stream.CanSeek && count > _stream.Length - _stream.Position)
        {
            throw Truncated();
        }

        var buffer = new byte[count];
        try
        {
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw Truncated();
        }

        return buffer;
    }

    private CheckpointFormatException Truncated() =>
        Error($"truncated: the file ends inside a pickle opcode (at offset {_stream.Position})");

    private string ReadUtf8(long count)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(ReadBytes(count));
        }
        catch (DecoderFallbackException)
        {
            throw Error("a string is not valid UTF-8");
        }
    }

    private string ReadLine()
    {
        var builder = new StringBuilder();
        while (true)
        {
            var value = ReadUInt8();
            if (value == '\n')
            {
                return builder.ToString();
            }

            if (builder.Length >= 256 || value < 0x20 || value >= 0x7f)
            {
                throw Error("a text argument (GLOBAL, INT, PUT or GET) is not a short line of ASCII");
            }

            builder.Append((char)value);
        }
    }

    private object ReadTextInt()
    {
        var text = ReadLine();
        return text switch
        {
            "01" => true,
            "00" => false,
            _ => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw Error($"INT argument '{text}' is not an integer"),
        };
    }

    private object ReadTextLong()
    {
        var text = ReadLine().TrimEnd('L');
        return BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? Normalise(value)
            : throw Error($"LONG argument '{text}' is not an integer");
    }

    private long ReadTextIndex()
    {
        var text = ReadLine();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error($"memo index '{text}' is not a number");
    }

    private object ReadLong(long count) =>
        Normalise(new BigInteger(ReadBytes(count), isUnsigned: false, isBigEndian: false));

    // Python has one int type; a value that fits is a long here so that callers need to test only one type.
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "Returns a long or a BigInteger, boxed.")]
    private static object Normalise(BigInteger value)
    {
        if (value >= long.MinValue && value <= long.MaxValue)
        {
            return (long)value;
        }

        return value;
    }
}

/// <summary>A pickled dict or collections.OrderedDict: insertion-ordered, keys compared by value for str and int.</summary>
internal sealed class PickleDict(bool isOrdered)
{
    private readonly OrderedDictionary<object, object?> _items = [];

    /// <summary>True for collections.OrderedDict (a state dict), false for a plain dict.</summary>
    public bool IsOrdered { get; } = isOrdered;

    public IEnumerable<KeyValuePair<object, object?>> Items => _items;

    public int Count => _items.Count;

    public void Set(object key, object? value) => _items[key] = value;

    public bool TryGetValue(object key, out object? value) => _items.TryGetValue(key, out value);
}
