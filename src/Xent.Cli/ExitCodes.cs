namespace Xent.Cli;

/// <summary>The exit codes every <c>xent</c> command returns (docs/CLI.md, "Exit codes and errors").</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>A bug in xent: an exception no input should cause (one line; <c>--verbose</c> prints the stack trace).</summary>
    public const int InternalError = 1;

    /// <summary>
    /// Bad arguments, missing files or data, corrupt or unsuitable inputs and checkpoints, or an output that cannot be written.
    /// </summary>
    public const int BadInput = 2;

    /// <summary>Training stopped because the loss became NaN or infinite.</summary>
    public const int Diverged = 3;
}
