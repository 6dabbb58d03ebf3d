using System.Runtime.CompilerServices;

namespace FaceCluster.Studies;

/// <summary>What the ratings pass remembers of one rating event (48 bytes).</summary>
internal struct EventRecord
{
    /// <summary>The <see cref="Fingerprint"/> of the event id.</summary>
    public ulong KeyHigh;

    public ulong KeyLow;

    /// <summary>A 64-bit hash of the rater id, to check that every row of the event names the same rater.</summary>
    public ulong RaterHash;

    /// <summary>The concepts seen so far (concept k is bit k), when there are at most 64 concepts.</summary>
    public ulong Concepts;

    /// <summary>The row where the event first appears.</summary>
    public long FirstRow;

    /// <summary>The image (index into the images table), or -1 when unknown.</summary>
    public int Image;

    /// <summary>The country (index into the manifest), or -1 when unknown.</summary>
    public short Country;

    /// <summary>0 self_report, 1 perceiver, -1 invalid.</summary>
    public sbyte Phase;

    /// <summary>Whether the event counts towards its (seed, country): a valid event on a mimic.</summary>
    public bool Counted;
}

/// <summary>
/// The rating events met so far, keyed by the 128-bit <see cref="Fingerprint"/> of their id: open addressing with
/// linear probing over an index array, records in chunks of 65,536 so that growing never copies them. Memory is
/// about 48 bytes per event plus 4 to 8 bytes per slot (10 million events: under 600 MB).
/// </summary>
internal sealed class EventTable
{
    private const int ChunkBits = 16;
    private const int ChunkSize = 1 << ChunkBits;
    private const double MaxLoad = 0.7;

    private EventRecord[][] _chunks = new EventRecord[16][];
    private int[] _slots = new int[1 << 16];
    private int _count;

    /// <summary>The number of distinct events.</summary>
    public int Count => _count;

    /// <summary>The approximate memory held, in bytes.</summary>
    public long Bytes => ((long)_chunks.Count(c => c is not null) * ChunkSize * Unsafe.SizeOf<EventRecord>()) + ((long)_slots.Length * sizeof(int));

    /// <summary>The record of <paramref name="index"/>.</summary>
    public ref EventRecord this[int index] => ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];

    /// <summary>Finds the event with this fingerprint or adds a zeroed record for it (its key set).</summary>
    public ref EventRecord GetOrAdd(ulong high, ulong low, out bool added, out int index)
    {
        var mask = _slots.Length - 1;
        var slot = (int)(high & (ulong)mask);
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                break;
            }

            ref var record = ref this[entry - 1];
            if (record.KeyHigh == high && record.KeyLow == low)
            {
                added = false;
                index = entry - 1;
                return ref record;
            }

            slot = (slot + 1) & mask;
        }

        if (_count + 1 > _slots.Length * MaxLoad)
        {
            Grow();
            return ref GetOrAdd(high, low, out added, out index);
        }

        index = _count++;
        var chunk = index >> ChunkBits;
        if (chunk == _chunks.Length)
        {
            Array.Resize(ref _chunks, _chunks.Length * 2);
        }

        _chunks[chunk] ??= new EventRecord[ChunkSize];
        _slots[slot] = index + 1;
        added = true;
        ref var fresh = ref this[index];
        fresh.KeyHigh = high;
        fresh.KeyLow = low;
        return ref fresh;
    }

    private void Grow()
    {
        if (_slots.Length >= 1 << 30)
        {
            throw new InvalidOperationException("More than 750 million rating events.");
        }

        var slots = new int[_slots.Length * 2];
        var mask = slots.Length - 1;
        for (var i = 0; i < _count; i++)
        {
            var slot = (int)(this[i].KeyHigh & (ulong)mask);
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = i + 1;
        }

        _slots = slots;
    }
}
