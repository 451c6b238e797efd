namespace Xent.Autograd;

/// <summary>Thread-local switch that turns graph recording off, like <c>torch.no_grad()</c>.</summary>
public static class GradMode
{
    [ThreadStatic] private static int t_disabledDepth;

    /// <summary>True when ops record autograd nodes on this thread.</summary>
    public static bool IsEnabled => t_disabledDepth == 0;

    /// <summary>Turns recording off until the scope is disposed; scopes nest.</summary>
    public static Scope Disable()
    {
        t_disabledDepth++;
        return new Scope(true);
    }

    /// <summary>Restores recording when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _active;
        internal Scope(bool active) => _active = active;

        /// <summary>Ends the no-grad scope.</summary>
        public void Dispose()
        {
            if (_active) t_disabledDepth--;
        }
    }
}
