using TorchSharp;

namespace FaceCluster.Torch.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void TorchSharp_initialises_and_computes_on_cpu()
    {
        var info = TorchRuntime.Initialize();
        Assert.StartsWith("2.10", info.TorchVersion, StringComparison.Ordinal);

        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }

    [Fact]
    public void Build_marks_the_missing_libstdcxx_version_weak_in_the_copied_native_library()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(library), library);
        var hostHasVersion = File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6").Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal);

        using var readelf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("readelf", ["-V", "-W", library])
        {
            RedirectStandardOutput = true,
        })!;
        var versions = readelf.StandardOutput.ReadToEnd();
        readelf.WaitForExit();
        var line = versions.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal));

        // Weak exactly when this host lacks the version; untouched where it has it.
        Assert.Equal(!hostHasVersion, line.Contains("Flags: WEAK", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("auto")]
    [InlineData(null)]
    public void Cpu_or_auto_selects_a_usable_device(string? requested)
    {
        var device = TorchRuntime.SelectDevice(requested);
        var expected = TorchRuntime.Info.CudaAvailable && requested != "cpu" ? DeviceType.CUDA : DeviceType.CPU;
        Assert.Equal(expected, device.type);
    }

    [Theory]
    [InlineData("tpu")]
    [InlineData("cuda:x")]
    public void Unknown_devices_are_refused_with_the_name(string requested)
    {
        var error = Assert.Throws<ArgumentException>(() => TorchRuntime.SelectDevice(requested));
        Assert.Contains(requested, error.Message, StringComparison.Ordinal);
    }
}
