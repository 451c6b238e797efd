using System.Text.Json;
using Xent.NN;
using Xent.Optim;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Optim;

/// <summary>
/// Optimizer trajectories against PyTorch 1.13 (tools/golden/gen_optim.py): same initial parameters, same 5 gradients,
/// same parameters after every step; also the final state buffers, step counts and scheduled learning rates.
/// </summary>
public class OptimizerGoldenTests
{
    private const string Area = "optim";

    // The kernels reproduce PyTorch 1.13's float32 operation order, including where its build fuses multiply-adds,
    // so the goldens match exactly. Should another PyTorch build or platform differ by an ulp, relax to rtol 1e-5, atol 1e-7.
    private const double Rtol = 0, Atol = 0;
    private static readonly Lazy<JsonElement> Doc = new(() =>
        JsonDocument.Parse(File.ReadAllText(Golden.PathOf(Area, "cases.json"))).RootElement);

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Doc.Value.GetProperty("cases").EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    internal static JsonElement Case(string name) =>
        Doc.Value.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    internal static int ParamCount => Doc.Value.GetProperty("shapes").GetArrayLength();

    internal static Parameter[] InitialParameters() =>
        Enumerable.Range(0, ParamCount).Select(i => new Parameter(Golden.Load(Area, $"init_p{i}"))).ToArray();

    /// <summary>Gradient of parameter <paramref name="i"/> at <paramref name="step"/>, or null when the case withholds it.</summary>
    internal static Tensor? Gradient(JsonElement c, int i, int step)
    {
        if (c.TryGetProperty("skip", out var skip))
            foreach (var s in skip.EnumerateArray())
                if (s[0].GetInt32() == step && s[1].GetInt32() == i) return null;
        var all = Golden.Load(Area, $"grads_p{i}");
        int n = all.NumEl / all.Size(0);
        var shape = all.Shape[1..];
        return Tensor.FromArray(all.Data.Slice(step * n, n).ToArray(), shape);
    }

    internal static void SetGradients(JsonElement c, Parameter[] ps, int step)
    {
        for (int i = 0; i < ps.Length; i++)
        {
            var g = Gradient(c, i, step);
            if (g is null) { ps[i].Grad = null; continue; }
            // Reuse the gradient buffer when there is one, as training does.
            if (ps[i].Grad is { } existing) g.Data.CopyTo(existing.Data);
            else ps[i].Grad = g;
        }
    }

    /// <summary>Builds the optimizer (and scheduler) that the case describes, with PyTorch's argument names mapped to Xent's.</summary>
    internal static (Optimizer Opt, LRScheduler? Sched) Create(JsonElement c, Parameter[] ps)
    {
        var kw = c.GetProperty("kwargs");
        double? Get(string k) => kw.TryGetProperty(k, out var v) ? v.GetDouble() : null;
        bool Flag(string k) => kw.TryGetProperty(k, out var v) && v.GetBoolean();
        (double, double)? betas = kw.TryGetProperty("betas", out var b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;
        List<ParamGroup>? groups = null;
        if (c.TryGetProperty("groups", out var gs))
        {
            groups = [];
            foreach (var g in gs.EnumerateArray())
            {
                var group = new ParamGroup(g[0].EnumerateArray().Select(i => ps[i.GetInt32()]));
                foreach (var o in g[1].EnumerateObject())
                {
                    Assert.True(ParamGroup.TryLookup(o.Name, out var option), $"unknown option '{o.Name}'");
                    group[option] = o.Value.GetDouble();
                }
                groups.Add(group);
            }
        }
        string opt = c.GetProperty("opt").GetString()!;
        Optimizer optimizer = (opt, groups) switch
        {
            ("SGD", null) => new Sgd(ps, Get("lr")!.Value, Get("momentum") ?? 0, Get("dampening") ?? 0, Get("weight_decay") ?? 0,
                Flag("nesterov")),
            ("SGD", _) => new Sgd(groups, Get("lr"), Get("momentum") ?? 0, Get("dampening") ?? 0, Get("weight_decay") ?? 0,
                Flag("nesterov")),
            ("Adam", null) => new Adam(ps, Get("lr") ?? 1e-3, betas, Get("eps") ?? 1e-8, Get("weight_decay") ?? 0, Flag("amsgrad")),
            ("Adam", _) => new Adam(groups, Get("lr") ?? 1e-3, betas, Get("eps") ?? 1e-8, Get("weight_decay") ?? 0, Flag("amsgrad")),
            ("AdamW", null) => new AdamW(ps, Get("lr") ?? 1e-3, betas, Get("eps") ?? 1e-8, Get("weight_decay") ?? 1e-2, Flag("amsgrad")),
            ("AdamW", _) => new AdamW(groups, Get("lr") ?? 1e-3, betas, Get("eps") ?? 1e-8, Get("weight_decay") ?? 1e-2, Flag("amsgrad")),
            ("Adadelta", null) => new Adadelta(ps, Get("lr") ?? 1.0, Get("rho") ?? 0.9, Get("eps") ?? 1e-6, Get("weight_decay") ?? 0),
            ("Adadelta", _) => new Adadelta(groups, Get("lr") ?? 1.0, Get("rho") ?? 0.9, Get("eps") ?? 1e-6, Get("weight_decay") ?? 0),
            _ => throw new NotSupportedException(opt),
        };
        LRScheduler? sched = c.TryGetProperty("scheduler", out var s)
            ? new StepLR(optimizer, s.GetProperty("step_size").GetInt32(), s.GetProperty("gamma").GetDouble())
            : null;
        return (optimizer, sched);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TrajectoryMatchesPyTorch(string name)
    {
        var c = Case(name);
        var ps = InitialParameters();
        var (opt, sched) = Create(c, ps);
        var lrs = c.GetProperty("lrs");
        var expected = Enumerable.Range(0, ps.Length).Select(i => Golden.Load(Area, $"{name}_p{i}")).ToArray();
        int steps = c.GetProperty("lrs").GetArrayLength();
        for (int step = 0; step < steps; step++)
        {
            for (int g = 0; g < opt.ParamGroups.Count; g++)
                Assert.Equal(lrs[step][g].GetDouble(), opt.ParamGroups[g].Lr);
            SetGradients(c, ps, step);
            opt.Step();
            sched?.Step();
            for (int i = 0; i < ps.Length; i++)
            {
                int n = ps[i].NumEl;
                Check.Close(expected[i].Data.Slice(step * n, n), ps[i].Data, rtol: Rtol, atol: Atol, what: $"{name} step {step} p{i}");
            }
        }
        if (c.TryGetProperty("final_lrs", out var final))
            for (int g = 0; g < opt.ParamGroups.Count; g++) Assert.Equal(final[g].GetDouble(), opt.ParamGroups[g].Lr);

        // Final state, in optimizer index order, against PyTorch's.
        var state = opt.StateDict();
        var order = c.GetProperty("param_order").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        foreach (var buffer in c.GetProperty("state_buffers").EnumerateArray().Select(e => e.GetString()!))
        {
            var concat = new List<float>();
            for (int k = 0; k < order.Length; k++)
                concat.AddRange(state.TryGetValue($"state.{k}.{buffer}", out var t) ? t.ToArray() : new float[ps[order[k]].NumEl]);
            Check.Close(Golden.Load(Area, $"{name}_state_{buffer}").Data, concat.ToArray(), rtol: Rtol, atol: Atol,
                what: $"{name} {buffer}");
        }
        var stepsExpected = c.GetProperty("state_steps");
        for (int k = 0; k < order.Length; k++)
        {
            if (stepsExpected[k].ValueKind == JsonValueKind.Null) Assert.False(state.ContainsKey($"state.{k}.step"));
            else Assert.Equal(stepsExpected[k].GetInt64(), state[$"state.{k}.step"].ItemInt64());
        }
        var bufferNames = c.GetProperty("state_buffers").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        foreach (var key in state.Keys.Where(k => k.StartsWith("state.", StringComparison.Ordinal)))
        {
            var last = key[(key.LastIndexOf('.') + 1)..];
            Assert.True(last == "step" || bufferNames.Contains(last), $"{name}: unexpected state key {key}");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void SaveLoadContinueIsBitExact(string name)
    {
        var c = Case(name);
        int steps = c.GetProperty("lrs").GetArrayLength();

        var ps = InitialParameters();
        var (opt, sched) = Create(c, ps);
        for (int step = 0; step < steps; step++) { SetGradients(c, ps, step); opt.Step(); sched?.Step(); }

        var ps2 = InitialParameters();
        var (opt2, sched2) = Create(c, ps2);
        for (int step = 0; step < 2; step++) { SetGradients(c, ps2, step); opt2.Step(); sched2?.Step(); }
        var saved = opt2.StateDict();
        var savedSched = sched2?.StateDict();
        var savedParams = ps2.Select(p => p.ToArray()).ToArray();
        // Keep stepping the original so that a loader aliasing the snapshot would be caught.
        SetGradients(c, ps2, 2); opt2.Step();

        // A fresh process: new parameters holding the saved values, a fresh optimizer built with the case's defaults.
        var ps3 = InitialParameters();
        for (int i = 0; i < ps3.Length; i++) savedParams[i].CopyTo(ps3[i].Data);
        var (opt3, _) = Create(c, ps3);
        opt3.LoadStateDict(saved);
        LRScheduler? sched3 = null;
        if (savedSched is not null)
        {
            sched3 = new StepLR(opt3, stepSize: 99, gamma: 0.123, lastEpoch: 0);
            sched3.LoadStateDict(savedSched);
        }
        for (int step = 2; step < steps; step++) { SetGradients(c, ps3, step); opt3.Step(); sched3?.Step(); }

        for (int i = 0; i < ps.Length; i++) Assert.Equal(ps[i].ToArray(), ps3[i].ToArray());
        Assert.Equal(opt.LearningRate, opt3.LearningRate);
        var a = opt.StateDict();
        var b = opt3.StateDict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys)
        {
            if (a[key].DType == DType.Int64) Assert.Equal(a[key].ToInt64Array(), b[key].ToInt64Array());
            else Assert.Equal(a[key].ToArray(), b[key].ToArray());
        }
    }
}
