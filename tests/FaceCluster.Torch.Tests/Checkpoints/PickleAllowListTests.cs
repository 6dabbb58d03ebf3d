using FaceCluster.Torch.Checkpoints;

namespace FaceCluster.Torch.Tests.Checkpoints;

/// <summary>A pickle may name only the classes a state dict needs; everything else is refused before it is built.</summary>
public sealed class PickleAllowListTests
{
    // The classic payloads: os.system("...") and builtins.eval("...") as a state dict's value, via both opcodes that
    // name a global.
    public static TheoryData<string, string, bool> Payloads => new()
    {
        { "os", "system", false },
        { "builtins", "eval", false },
        { "os", "system", true },
        { "builtins", "eval", true },
        { "posix", "system", true },
        { "torch", "load", false },
        { "collections", "defaultdict", true },
    };

    private static byte[] Payload(string module, string name, bool stackGlobal)
    {
        var pickle = new PickleOps().Proto(stackGlobal ? (byte)4 : (byte)2).OrderedDict().Str("weight");
        pickle = stackGlobal ? pickle.Str(module).Str(name).StackGlobal() : pickle.Global(module, name);
        return pickle.Str("touch /tmp/pwned").Tuple1().Reduce().SetItem().Stop().ToArray();
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void A_zip_checkpoint_naming_another_class_is_refused(string module, string name, bool stackGlobal)
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("payload.pt");
        CheckpointBytes.WriteZip(path, Payload(module, name, stackGlobal), new Dictionary<string, byte[]>());

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Equal(
            $"The checkpoint reader refuses to load class '{module}.{name}' from {path}: only tensors and state-dict containers are allowed",
            error.Message);
    }

    [Fact]
    public void A_legacy_checkpoint_naming_another_class_is_refused()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("payload-legacy.pt");
        CheckpointBytes.WriteLegacy(path, Payload("os", "system", stackGlobal: false), []);

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains("refuses to load class 'os.system'", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_class_cannot_be_called()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("storage-call.pt");
        var pickle = new PickleOps().Proto(2).OrderedDict().Str("weight")
            .Global("torch", "FloatStorage").Int(3).Tuple1().Reduce().SetItem().Stop().ToArray();
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]>());

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains("torch.FloatStorage", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be called", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_opcode_a_state_dict_does_not_use_is_refused_by_name()
    {
        using var scratch = new ScratchDirectory();
        var path = scratch.File("ext1.pt");
        // EXT1 (0x82) looks a global up in copyreg's extension registry: outside the allow-list by construction.
        byte[] pickle = [0x80, 2, 0x82, 1, (byte)'.'];
        CheckpointBytes.WriteZip(path, pickle, new Dictionary<string, byte[]>());

        var error = Assert.Throws<CheckpointFormatException>(() => PyTorchCheckpoint.Read(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("unsupported pickle opcode 0x82", error.Message, StringComparison.Ordinal);
    }
}
