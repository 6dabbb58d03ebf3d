// MSBuild inline task (RoslynCodeTaskFactory): makes TorchSharp's native library load on hosts whose libstdc++ is older
// than the one it was built against. libLibTorchSharp.so asks for GLIBCXX_3.4.32 only for _ZSt21ios_base_library_initv,
// a symbol GCC 13 references to force iostream initialisation and never calls. Marking that version requirement weak
// (VER_FLG_WEAK in its Vernaux entry) and the symbols bound to it weak (STB_WEAK) lets ld.so accept the library on
// Debian 12 (GLIBCXX up to 3.4.30); on hosts that have the version the patched library binds exactly as before.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenMissingGlibcxxVersions : Task
{
    private const uint ShtDynSym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlagWeak = 0x2;
    private const byte StbWeak = 2;

    /// <summary>The ELF shared libraries to repair in place (missing files are skipped).</summary>
    [Required]
    public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The host's libstdc++; versions it defines are left alone.</summary>
    [Required]
    public string HostLibStdCxx { get; set; } = "";

    public override bool Execute()
    {
        if (!File.Exists(HostLibStdCxx))
        {
            Log.LogMessage(MessageImportance.Low, $"No {HostLibStdCxx}: TorchSharp's native library left as shipped.");
            return true;
        }

        var hostBytes = File.ReadAllBytes(HostLibStdCxx);
        foreach (var item in Libraries)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                Repair(path, hostBytes);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
            {
                Log.LogError($"{path}: cannot repair its libstdc++ version requirements: {e.Message}");
            }
        }

        return !Log.HasLoggedErrors;
    }

    private void Repair(string path, byte[] hostLibStdCxx)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        }

        var sectionOffset = checked((int)BitConverter.ToUInt64(elf, 0x28));
        var sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        var sectionCount = BitConverter.ToUInt16(elf, 0x3C);

        int Header(int index) => sectionOffset + (index * sectionSize);
        uint Type(int index) => BitConverter.ToUInt32(elf, Header(index) + 4);
        int Offset(int index) => checked((int)BitConverter.ToUInt64(elf, Header(index) + 0x18));
        int Size(int index) => checked((int)BitConverter.ToUInt64(elf, Header(index) + 0x20));
        int Link(int index) => (int)BitConverter.ToUInt32(elf, Header(index) + 0x28);

        int dynsym = -1, versym = -1, verneed = -1;
        for (var s = 0; s < sectionCount; s++)
        {
            switch (Type(s))
            {
                case ShtDynSym: dynsym = s; break;
                case ShtGnuVersym: versym = s; break;
                case ShtGnuVerneed: verneed = s; break;
            }
        }

        if (dynsym < 0 || versym < 0 || verneed < 0)
        {
            return;
        }

        var strings = Offset(Link(verneed));
        string Name(uint offset)
        {
            var start = strings + (int)offset;
            var end = Array.IndexOf(elf, (byte)0, start);
            return Encoding.ASCII.GetString(elf, start, end - start);
        }

        var weakened = new Dictionary<ushort, string>();
        var need = Offset(verneed);
        while (true)
        {
            var file = Name(BitConverter.ToUInt32(elf, need + 4));
            var aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
            for (var a = 0; a < BitConverter.ToUInt16(elf, need + 2); a++)
            {
                var version = Name(BitConverter.ToUInt32(elf, aux + 8));
                var flags = BitConverter.ToUInt16(elf, aux + 4);
                if (file.StartsWith("libstdc++", StringComparison.Ordinal) && !Defines(hostLibStdCxx, version))
                {
                    BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, aux + 4);
                    weakened[BitConverter.ToUInt16(elf, aux + 6)] = version;
                }

                var nextAux = BitConverter.ToUInt32(elf, aux + 12);
                if (nextAux == 0)
                {
                    break;
                }

                aux += (int)nextAux;
            }

            var nextNeed = BitConverter.ToUInt32(elf, need + 12);
            if (nextNeed == 0)
            {
                break;
            }

            need += (int)nextNeed;
        }

        if (weakened.Count == 0)
        {
            Log.LogMessage(MessageImportance.Low, $"{path}: the host's libstdc++ has every version it needs.");
            return;
        }

        var symbols = new List<string>();
        var symbolCount = Size(dynsym) / 24;
        var symbolNames = Offset(Link(dynsym));
        for (var i = 0; i < symbolCount; i++)
        {
            var versionIndex = (ushort)(BitConverter.ToUInt16(elf, Offset(versym) + (2 * i)) & 0x7fff);
            if (!weakened.ContainsKey(versionIndex))
            {
                continue;
            }

            var symbol = Offset(dynsym) + (24 * i);
            var shndx = BitConverter.ToUInt16(elf, symbol + 6);
            if (shndx != 0)
            {
                throw new InvalidDataException($"symbol {i} bound to a missing version is defined, not imported");
            }

            elf[symbol + 4] = (byte)((StbWeak << 4) | (elf[symbol + 4] & 0xf));
            var nameStart = symbolNames + (int)BitConverter.ToUInt32(elf, symbol);
            symbols.Add(Encoding.ASCII.GetString(elf, nameStart, Array.IndexOf(elf, (byte)0, nameStart) - nameStart));
        }

        // Write beside, then rename: a running process may have the old file mapped.
        var temporary = path + ".repair.tmp";
        File.WriteAllBytes(temporary, elf);
        File.Replace(temporary, path, null);
        Log.LogMessage(
            MessageImportance.High,
            $"FaceCluster: {Path.GetFileName(path)} needs {string.Join(", ", weakened.Values)} that this host's libstdc++ lacks; " +
            $"marked weak (symbols: {string.Join(", ", symbols)}), so TorchSharp loads here.");
    }

    private static bool Defines(byte[] library, string version)
    {
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        for (var i = 0; i <= library.Length - needle.Length; i++)
        {
            if (library[i] == 0 && i + 1 + needle.Length <= library.Length)
            {
                var match = true;
                for (var j = 0; j < needle.Length && match; j++)
                {
                    match = library[i + 1 + j] == needle[j];
                }

                if (match)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
