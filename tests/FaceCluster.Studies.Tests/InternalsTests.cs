namespace FaceCluster.Studies.Tests;

public sealed class InternalsTests
{
    [Fact]
    public void Event_records_take_48_bytes()
    {
        Assert.Equal(48, System.Runtime.CompilerServices.Unsafe.SizeOf<EventRecord>());
    }

    [Fact]
    public void Fingerprints_of_a_million_similar_ids_are_distinct_in_each_half()
    {
        var high = new HashSet<ulong>();
        var low = new HashSet<ulong>();
        for (var i = 0; i < 1_000_000; i++)
        {
            var (h, l) = Fingerprint.Of($"event-{i:D9}");
            Assert.True(high.Add(h));
            Assert.True(low.Add(l));
        }

        Assert.Equal(Fingerprint.Of("abc"), Fingerprint.Of(new string(['a', 'b', 'c'])));
        Assert.NotEqual(Fingerprint.Of(string.Empty), Fingerprint.Of("\0"));
    }

    [Fact]
    public void Event_table_finds_what_it_added_across_growth()
    {
        var table = new EventTable();
        for (var i = 0; i < 300_000; i++)
        {
            var (h, l) = Fingerprint.Of($"e{i}");
            ref var record = ref table.GetOrAdd(h, l, out var added, out var index);
            Assert.True(added);
            Assert.Equal(i, index);
            record.FirstRow = i + 1;
        }

        for (var i = 0; i < 300_000; i += 7)
        {
            var (h, l) = Fingerprint.Of($"e{i}");
            ref var record = ref table.GetOrAdd(h, l, out var added, out var index);
            Assert.False(added);
            Assert.Equal((i, i + 1L), (index, record.FirstRow));
        }

        Assert.Equal(300_000, table.Count);
    }
}
