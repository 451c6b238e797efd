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
}
