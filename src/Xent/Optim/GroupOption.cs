namespace Xent.Optim;

/// <summary>
/// The options a <see cref="ParamGroup"/> can hold, one slot each; <see cref="ParamGroup.OptionNames"/> gives their
/// PyTorch names, which are also their state-dict names (<c>param_groups.{g}.{name}</c>).
/// </summary>
internal enum GroupOption
{
    Lr,
    WeightDecay,
    Momentum,
    Dampening,
    Nesterov,
    Beta1,
    Beta2,
    Eps,
    Amsgrad,
    Rho,
    InitialLr,
}
