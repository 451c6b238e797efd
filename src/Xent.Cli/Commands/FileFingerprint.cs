using System.Security.Cryptography;
using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// The SHA-256 of a file's bytes as they were read, to tell later whether the file at that path still holds them. A resumed run
/// reads its checkpoint before it locks the run folder: a run that held the folder and ended in between may have written a newer
/// checkpoint over it, and resuming from the copy read would then train over that run's last epochs. The bytes, not the file's
/// size and time: .NET has no inode, and the checkpoint of every epoch of a run has the same size.
/// </summary>
internal sealed class FileFingerprint
{
    private readonly byte[] _sha256;

    private FileFingerprint(byte[] sha256) => _sha256 = sha256;

    /// <summary>The fingerprint of <paramref name="stream"/> from its position to its end; the position is put back.</summary>
    public static FileFingerprint Of(Stream stream)
    {
        long start = stream.Position;
        byte[] sha256 = SHA256.HashData(stream);
        stream.Position = start;
        return new FileFingerprint(sha256);
    }

    /// <summary>
    /// The length of <paramref name="path"/> as read and the SHA-256 of its bytes in lower-case hex: what <c>train</c> records of
    /// its data file (<see cref="TrainingDataWarning.Fingerprint"/>), and what this class compares.
    /// </summary>
    public static (long Bytes, string Sha256) OfFile(string path)
    {
        using var file = FileReading.OpenRead(path, bufferSize: 1 << 16);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(file));
        return (file.Position, sha256);
    }

    /// <summary>
    /// Whether <paramref name="path"/> holds the same bytes now; false when it is gone or cannot be read (it is not the file read).
    /// </summary>
    public bool Matches(string path)
    {
        try
        {
            return OfFile(path).Sha256 == Convert.ToHexStringLower(_sha256);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
