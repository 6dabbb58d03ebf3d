using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FaceCluster.Studies;

/// <summary>
/// A 128-bit fingerprint of a string: two independent 64-bit hashes (xxHash64-style rounds with different primes and
/// seeds, each finished by the MurmurHash3 avalanche). The ratings pass identifies rating events by the fingerprint
/// of their <c>event_id</c> rather than by the string, so that ten million events fit in memory.
/// </summary>
/// <remarks>
/// Two different ids are confused only if both 64-bit halves collide. For <c>n</c> distinct ids the chance of any
/// such confusion is about <c>n^2 / 2^129</c>: below 1e-22 for 10^8 events. A round is a bijection of the input word
/// for a fixed state, so two ids of equal length that differ in a single 8-byte word never collide in either half.
/// </remarks>
internal static class Fingerprint
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong P3 = 0x165667B19E3779F9UL;
    private const ulong P4 = 0x85EBCA77C2B2AE63UL;
    private const ulong P5 = 0x27D4EB2F165667C5UL;

    /// <summary>The fingerprint of <paramref name="text"/> (its UTF-16 code units).</summary>
    public static (ulong High, ulong Low) Of(string text)
    {
        var bytes = MemoryMarshal.AsBytes(text.AsSpan());
        ulong a = P5 ^ ((ulong)bytes.Length * P1), b = P3 + ((ulong)bytes.Length * P4);
        var i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]);
            a = BitOperations.RotateLeft(a + (word * P2), 31) * P1;
            b = BitOperations.RotateLeft(b ^ (word * P4), 27) * P3;
        }

        if (i < bytes.Length)
        {
            ulong word = 0;
            for (var j = 0; i + j < bytes.Length; j++)
            {
                word |= (ulong)bytes[i + j] << (8 * j);
            }

            a = BitOperations.RotateLeft(a + (word * P2), 31) * P1;
            b = BitOperations.RotateLeft(b ^ (word * P4), 27) * P3;
        }

        return (Avalanche(a), Avalanche(b ^ P2));
    }

    /// <summary>A 64-bit hash of <paramref name="text"/> (the first half of <see cref="Of"/>).</summary>
    public static ulong Hash64(string text) => Of(text).High;

    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }
}
