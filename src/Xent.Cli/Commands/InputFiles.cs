namespace Xent.Cli.Commands;

/// <summary>Checks that a path the user named as an input file is one, with a message that says what it is instead.</summary>
internal static class InputFiles
{
    /// <summary>
    /// Throws <see cref="FileNotFoundException"/> or <see cref="IOException"/> unless <paramref name="path"/> is an existing file.
    /// </summary>
    /// <param name="path">The path given.</param>
    /// <param name="what">What the file should be, for the message ("checkpoint", "--input").</param>
    public static void RequireFile(string path, string what)
    {
        if (File.Exists(path)) return;
        if (Directory.Exists(path)) throw new IOException($"{what} '{path}' is a folder, not a file.");
        throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
    }

    /// <summary>
    /// <see cref="RequireFile"/> for a checkpoint, and a message that names the file's kind when it is not safetensors but a
    /// model file a user may reach for instead: the ONNX model <c>xent export</c> wrote, or a PyTorch <c>torch.save</c> pickle.
    /// Anything else is left to the safetensors reader's own checks.
    /// </summary>
    /// <exception cref="InvalidDataException">An ONNX model or a PyTorch pickle.</exception>
    public static void RequireCheckpoint(string path)
    {
        RequireFile(path, "checkpoint");
        Span<byte> head = stackalloc byte[9];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == head.Length && head[8] == (byte)'{') return; // a safetensors header: 8-byte length, then JSON
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{path}' is an ONNX model (what xent export writes for ONNX Runtime, ML.NET or Windows ML); " +
                "xent eval, predict, calibrate, export and --resume read the .safetensors checkpoint it was exported from.");
        // torch.save writes a zip archive (PK\x03\x04) since PyTorch 1.6, a bare pickle (protocol byte 0x80) before.
        bool zip = n >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        if (zip || n >= 2 && head[0] == 0x80)
            throw new InvalidDataException($"'{path}' looks like a PyTorch torch.save file (a pickle), which xent does not read; " +
                "save the state dict with safetensors.torch.save_file(model.state_dict(), 'model.safetensors') instead.");
    }
}
