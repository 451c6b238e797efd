namespace Xent.Autograd;

/// <summary>
/// The switch that turns graph recording off, like <c>torch.no_grad()</c>. It belongs to the code that set it, not to a
/// thread: it follows that code's <see cref="ExecutionContext"/>, so a <c>using (Tensor.NoGrad())</c> around an
/// <c>await</c> still holds after the await, whichever thread the method resumes on, and leaves every other request or
/// thread-pool thread as it found it. Work the scope starts (<c>Task.Run</c>, <c>Parallel.For</c>) inherits it.
/// </summary>
public static class GradMode
{
    // An ExecutionContext-bound flag rather than a [ThreadStatic] depth: a thread-bound counter disposed after an await on
    // another thread left one thread recording nothing for good and the other unable to turn recording off.
    // Null while recording: setting null removes the entry, so leaving the outermost scope allocates nothing.
    private static readonly AsyncLocal<object?> s_disabled = new();
    private static readonly object s_off = new();

    /// <summary>True when ops record autograd nodes here (on this thread, in this async flow).</summary>
    public static bool IsEnabled => s_disabled.Value is null;

    /// <summary>Turns recording off until the scope is disposed; scopes nest, and each restores what it found.</summary>
    public static Scope Disable()
    {
        bool wasDisabled = !IsEnabled;
        if (!wasDisabled) s_disabled.Value = s_off;
        return new Scope(true, wasDisabled);
    }

    /// <summary>Restores the recording state its scope began with when disposed.</summary>
    /// <remarks>
    /// As PyTorch's <c>no_grad</c> restores the mode it saved, disposing again (or disposing a copy) sets the same state
    /// again instead of turning recording off for good.
    /// </remarks>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _active;
        private readonly bool _wasDisabled;

        internal Scope(bool active, bool wasDisabled)
        {
            _active = active;
            _wasDisabled = wasDisabled;
        }

        /// <summary>Ends the no-grad scope.</summary>
        public void Dispose()
        {
            if (_active && IsEnabled == _wasDisabled) s_disabled.Value = _wasDisabled ? s_off : null;
        }
    }
}
