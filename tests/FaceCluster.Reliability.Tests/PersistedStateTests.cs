using System.Collections;
using System.Reflection;
using System.Text.Json;
using FaceCluster.Grains;
using FaceCluster.Grains.Tests;
using FaceCluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Storage;

namespace FaceCluster.Reliability.Tests;

/// <summary>
/// Every type a grain persists goes through the real Redis grain storage and comes back equal, filled in every field
/// with the collection types the code produces (collection expressions make compiler-generated read-only types that a
/// JSON type allow-list may refuse: a finished job with warnings once could not be read back).
/// </summary>
public sealed class PersistedStateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The state types of every grain of the product, found from their constructors: a new one is covered by itself.</summary>
    public static TheoryData<string> StateTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in PersistedTypes())
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    private static IEnumerable<Type> PersistedTypes() =>
        new[] { typeof(RunCoordinatorGrain).Assembly, typeof(Learning.Grains.TrainRunKind).Assembly }
            .SelectMany(a => a.GetTypes())
            .Where(t => typeof(Grain).IsAssignableFrom(t) && !t.IsAbstract)
            .SelectMany(t => t.GetConstructors())
            .SelectMany(c => c.GetParameters())
            .Where(p => p.GetCustomAttribute<PersistentStateAttribute>() is not null)
            .Select(p => p.ParameterType.GetGenericArguments()[0])
            .Distinct();

    [Fact]
    public void The_product_persists_the_states_this_test_knows() =>
        Assert.Equal(["FaceCluster.Grains.RunCoordinatorState", "FaceCluster.Grains.RunRegistryState", "FaceCluster.Grains.StorageProbeState"], PersistedTypes().Select(t => t.FullName!).Order());

    [Theory]
    [MemberData(nameof(StateTypes))]
    public async Task A_state_filled_in_every_field_round_trips_through_redis(string typeName)
    {
        var type = PersistedTypes().Single(t => t.FullName == typeName);
        await using var redis = await RedisProcessCluster.StartRedisAsync(Ct);
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo
            .UseFaceClusterRedis(new FaceClusterRedisOptions { ConnectionString = $"127.0.0.1:{redis.RedisPort}", ClusterId = redis.ClusterId, DataRoot = redis.DataRoot })
            .Configure<Orleans.Configuration.EndpointOptions>(e =>
            {
                e.SiloPort = RedisProcessCluster.FreePort();
                e.GatewayPort = RedisProcessCluster.FreePort();
                e.AdvertisedIPAddress = System.Net.IPAddress.Loopback;
            }));
        using var host = builder.Build();
        await host.StartAsync(Ct);
        try
        {
            var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(FaceClusterStorage.Name);
            var method = typeof(PersistedStateTests).GetMethod(nameof(RoundTripAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(type);
            var (written, read) = await (Task<(string, string)>)method.Invoke(null, [storage, new Sample().Of(type)])!;
            Assert.Equal(written, read);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<(string Written, string Read)> RoundTripAsync<T>(IGrainStorage storage, object value)
        where T : new()
    {
        var id = GrainId.Create("round-trip", typeof(T).Name);
        var state = new GrainState<T>((T)value);
        await storage.WriteStateAsync("state", id, state);
        var back = new GrainState<T>(new T()) { ETag = null };
        await storage.ReadStateAsync("state", id, back);
        Assert.True(back.RecordExists, "nothing was read back");
        return (JsonSerializer.Serialize(state.State), JsonSerializer.Serialize(back.State));
    }

    /// <summary>Fills an object graph: every property set, every collection with two elements, as the code makes them.</summary>
    private sealed class Sample
    {
        private int _next;

        public object? Of(Type type, int depth = 0)
        {
            _next++;
            if (Nullable.GetUnderlyingType(type) is { } inner)
            {
                return Of(inner, depth);
            }

            if (type == typeof(string))
            {
                return $"text-{_next}";
            }

            if (type.IsEnum)
            {
                var values = Enum.GetValues(type);
                return values.GetValue(_next % values.Length);
            }

            if (type.IsPrimitive || type == typeof(decimal))
            {
                return Convert.ChangeType(type == typeof(bool) ? (object)true : _next % 100 + 1, type, System.Globalization.CultureInfo.InvariantCulture);
            }

            if (type == typeof(DateTimeOffset))
            {
                return new DateTimeOffset(2026, 12, 6, 10, 0, _next % 60, TimeSpan.Zero);
            }

            if (type == typeof(TimeSpan))
            {
                return TimeSpan.FromSeconds(_next);
            }

            if (depth > 4)
            {
                return null;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                var dictionary = (IDictionary)Activator.CreateInstance(type)!;
                var (key, item) = (type.GetGenericArguments()[0], type.GetGenericArguments()[1]);
                for (var i = 0; i < 2; i++)
                {
                    dictionary[Of(key, depth + 1)!] = Of(item, depth + 1);
                }

                return dictionary;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
                && (definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>) || definition == typeof(IEnumerable<>)))
            {
                var element = type.GetGenericArguments()[0];
                var items = new[] { Of(element, depth + 1), Of(element, depth + 1) };
                var make = definition == typeof(List<>) ? nameof(ListOf) : nameof(ReadOnlyOf);
                return typeof(Sample).GetMethod(make, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(element).Invoke(null, [items]);
            }

            if (type.IsArray)
            {
                var element = type.GetElementType()!;
                var array = Array.CreateInstance(element, 2);
                array.SetValue(Of(element, depth + 1), 0);
                array.SetValue(Of(element, depth + 1), 1);
                return array;
            }

            var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            var instance = constructor.Invoke([.. constructor.GetParameters().Select(p => Of(p.ParameterType, depth + 1))]);
            foreach (var property in type.GetProperties().Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0))
            {
                property.SetValue(instance, Of(property.PropertyType, depth + 1));
            }

            return instance;
        }

        private static List<T> ListOf<T>(object?[] items) => [.. items.Cast<T>()];

        // A collection expression typed as IReadOnlyList<T>: the compiler's own read-only type, as the product makes.
        private static IReadOnlyList<T> ReadOnlyOf<T>(object?[] items)
        {
            IReadOnlyList<T> list = [.. items.Cast<T>()];
            return list;
        }
    }
}
