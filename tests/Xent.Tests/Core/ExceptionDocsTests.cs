using System.Xml.Linq;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>
/// A caller catches what the XML docs promise: each misuse of a public F.* loss (and of Linear and Conv2d) throws an
/// exception whose exact type the member's <c>&lt;exception&gt;</c> list in Xent.xml names (qa-s20-lib L2).
/// </summary>
public class ExceptionDocsTests
{
    private static readonly Tensor X = Tensor.Randn([4, 3], new Generator(1));
    private static readonly Tensor T = Tensor.FromArray([0, 1, 2, 0], 4);
    private static readonly Tensor P = Tensor.Full(1f / 3, [4, 3]);
    private static readonly Tensor Long43 = Tensor.ZerosInt64(4, 3);
    private static readonly Tensor Long3 = Tensor.FromArray([1, 1, 1], 3);
    private static readonly Tensor Half = Tensor.Full(0.5f, [4, 3]);

    private static Tensor Grad(Tensor t) => t.Clone().RequiresGrad_();

    /// <summary>
    /// Each public member of F's documented exceptions, keyed by the member's name (overloads merged): exception type →
    /// the text of its <c>&lt;exception&gt;</c> entries, paramrefs included.
    /// </summary>
    private static readonly Lazy<Dictionary<string, Dictionary<string, string>>> Documented = new(() =>
    {
        string xml = Path.Combine(Path.GetDirectoryName(typeof(F).Assembly.Location)!, "Xent.xml");
        var map = new Dictionary<string, Dictionary<string, string>>();
        foreach (var member in XDocument.Load(xml).Descendants("member"))
        {
            string id = (string)member.Attribute("name")!;
            if (!id.StartsWith("M:Xent.F.", StringComparison.Ordinal)) continue;
            string name = id["M:Xent.F.".Length..].Split('(')[0];
            if (!map.TryGetValue(name, out var types)) map[name] = types = [];
            foreach (var e in member.Elements("exception"))
            {
                string type = ((string)e.Attribute("cref")!).Replace("T:", "");
                types[type] = types.GetValueOrDefault(type, "") + e.ToString();
            }
        }
        return map;
    });

    public static TheoryData<string, string, Action> Misuses() => new()
    {
        { "CrossEntropy", "int64 input", () => F.CrossEntropy(Long43, T) },
        { "CrossEntropy", "int64 weight", () => F.CrossEntropy(X, T, weight: Long3) },
        { "CrossEntropy", "weight requires grad", () => F.CrossEntropy(X, T, weight: Grad(Tensor.Ones(3))) },
        { "CrossEntropy", "weight requires grad, probabilities", () => F.CrossEntropy(X, P, weight: Grad(Tensor.Ones(3))) },
        { "CrossEntropy", "target requires grad", () => F.CrossEntropy(X, Grad(P)) },
        { "CrossEntropy", "softcap 0", () => F.CrossEntropy(X, T, softcap: 0f) },
        { "CrossEntropy", "zLossScale -1", () => F.CrossEntropy(X, T, zLossScale: -1f) },
        { "CrossEntropy", "target 3", () => F.CrossEntropy(X, Tensor.FromArray([0, 1, 3, 0], 4)) },
        { "CrossEntropy", "batch mismatch", () => F.CrossEntropy(X, Tensor.FromArray([0, 1], 2)) },
        { "CrossEntropy", "reduction 42", () => F.CrossEntropy(X, T, reduction: (Reduction)42) },
        { "CrossEntropy", "smoothing 2", () => F.CrossEntropy(X, T, labelSmoothing: 2f) },
        { "NllLoss", "int64 input", () => F.NllLoss(Long43, T) },
        { "NllLoss", "int64 weight", () => F.NllLoss(X, T, weight: Long3) },
        { "NllLoss", "weight requires grad", () => F.NllLoss(X, T, weight: Grad(Tensor.Ones(3))) },
        { "NllLoss", "float target", () => F.NllLoss(X, Tensor.Zeros(4)) },
        { "NllLoss", "target 3", () => F.NllLoss(X, Tensor.FromArray([0, 1, 3, 0], 4)) },
        { "NllLoss", "reduction 42", () => F.NllLoss(X, T, reduction: (Reduction)42) },
        { "BinaryCrossEntropy", "int64 input", () => F.BinaryCrossEntropy(Long43, Half) },
        { "BinaryCrossEntropy", "int64 weight", () => F.BinaryCrossEntropy(Half, Half, weight: Long3) },
        { "BinaryCrossEntropy", "weight requires grad", () => F.BinaryCrossEntropy(Half, Half, weight: Grad(Tensor.Ones(3))) },
        { "BinaryCrossEntropy", "target requires grad", () => F.BinaryCrossEntropy(Half, Grad(Half)) },
        { "BinaryCrossEntropy", "input 2", () => F.BinaryCrossEntropy(Tensor.Full(2f, [4, 3]), Half) },
        { "BinaryCrossEntropyWithLogits", "int64 input", () => F.BinaryCrossEntropyWithLogits(Long43, Half) },
        { "BinaryCrossEntropyWithLogits", "int64 weight", () => F.BinaryCrossEntropyWithLogits(X, Half, weight: Long3) },
        { "BinaryCrossEntropyWithLogits", "int64 posWeight", () => F.BinaryCrossEntropyWithLogits(X, Half, posWeight: Long3) },
        { "BinaryCrossEntropyWithLogits", "weight requires grad",
            () => F.BinaryCrossEntropyWithLogits(X, Half, weight: Grad(Tensor.Ones(3))) },
        { "BinaryCrossEntropyWithLogits", "posWeight requires grad",
            () => F.BinaryCrossEntropyWithLogits(X, Half, posWeight: Grad(Tensor.Ones(3))) },
        { "BinaryCrossEntropyWithLogits", "target requires grad", () => F.BinaryCrossEntropyWithLogits(X, Grad(Half)) },
        { "BinaryCrossEntropyWithLogits", "int64 target", () => F.BinaryCrossEntropyWithLogits(X, Long43) },
        { "FocalLoss", "int64 input", () => F.FocalLoss(Long43, T) },
        { "FocalLoss", "int64 weight", () => F.FocalLoss(X, T, weight: Long3) },
        { "FocalLoss", "weight requires grad", () => F.FocalLoss(X, T, weight: Grad(Tensor.Ones(3))) },
        { "FocalLoss", "gamma -1", () => F.FocalLoss(X, T, gamma: -1f) },
        { "FocalLoss", "target 3", () => F.FocalLoss(X, Tensor.FromArray([0, 1, 3, 0], 4)) },
        { "FocalLoss", "float target", () => F.FocalLoss(X, Tensor.Zeros(4)) },
        { "SigmoidFocalLoss", "int64 input", () => F.SigmoidFocalLoss(Long43, Half) },
        { "SigmoidFocalLoss", "int64 target", () => F.SigmoidFocalLoss(X, Long43) },
        { "SigmoidFocalLoss", "target requires grad", () => F.SigmoidFocalLoss(X, Grad(Half)) },
        { "SigmoidFocalLoss", "gamma -1", () => F.SigmoidFocalLoss(X, Half, gamma: -1f) },
        { "SigmoidFocalLoss", "alpha NaN", () => F.SigmoidFocalLoss(X, Half, alpha: float.NaN) },
        { "KlDiv", "int64 input", () => F.KlDiv(Long43, Half) },
        { "KlDiv", "int64 target", () => F.KlDiv(X, Long43) },
        { "KlDiv", "target requires grad", () => F.KlDiv(X, Grad(Half), KlDivReduction.BatchMean) },
        { "KlDiv", "shapes differ", () => F.KlDiv(X, Tensor.Full(0.5f, [3]), KlDivReduction.BatchMean) },
        { "KlDiv", "reduction 42", () => F.KlDiv(X, Half, (KlDivReduction)42) },
        { "DistillationLoss", "int64 student", () => F.DistillationLoss(Long43, X, 2f) },
        { "DistillationLoss", "int64 teacher", () => F.DistillationLoss(X, Long43, 2f) },
        { "DistillationLoss", "temperature 0", () => F.DistillationLoss(X, X, 0f) },
        { "DistillationLoss", "shapes differ", () => F.DistillationLoss(X, Tensor.Zeros(4, 2), 2f) },
        { "LinearCrossEntropy", "int64 hidden", () => F.LinearCrossEntropy(Long43, X, T) },
        { "LinearCrossEntropy", "int64 linearWeight", () => F.LinearCrossEntropy(X, Long43, T) },
        { "LinearCrossEntropy", "int64 linearBias", () => F.LinearCrossEntropy(X, X, T, linearBias: Tensor.FromArray([1, 1, 1, 1], 4)) },
        { "LinearCrossEntropy", "int64 weight", () => F.LinearCrossEntropy(X, X, T, weight: Tensor.FromArray([1, 1, 1, 1], 4)) },
        { "LinearCrossEntropy", "weight requires grad", () => F.LinearCrossEntropy(X, X, T, weight: Grad(Tensor.Ones(4))) },
        { "LinearCrossEntropy", "float target", () => F.LinearCrossEntropy(X, X, Tensor.Zeros(4)) },
        { "LinearCrossEntropy", "target 4", () => F.LinearCrossEntropy(X, X, Tensor.FromArray([0, 1, 4, 0], 4)) },
        { "LinearCrossEntropy", "zLossScale -1", () => F.LinearCrossEntropy(X, X, T, zLossScale: -1f) },
        { "LinearCrossEntropy", "softcap 0", () => F.LinearCrossEntropy(X, X, T, softcap: 0f) },
        { "LinearCrossEntropy", "smoothing 2", () => F.LinearCrossEntropy(X, X, T, labelSmoothing: 2f) },
        { "LinearCrossEntropy", "options RowChunk 0",
            () => F.LinearCrossEntropy(X, X, T, options: new LinearCrossEntropyOptions { RowChunk = 0 }) },
        { "LinearCrossEntropy", "reduction 42", () => F.LinearCrossEntropy(X, X, T, reduction: (Reduction)42) },
        { "Linear", "int64 input", () => F.Linear(Long43, X) },
        { "Linear", "int64 weight", () => F.Linear(X, Long43) },
        { "Linear", "int64 bias", () => F.Linear(X, X, Tensor.FromArray([1, 1, 1, 1], 4)) },
        { "Linear", "shapes", () => F.Linear(X, Tensor.Zeros(2, 5)) },
        { "Conv2d", "int64 input", () => F.Conv2d(Tensor.ZerosInt64(1, 1, 4, 4), Tensor.Zeros(2, 1, 3, 3)) },
        { "Conv2d", "int64 weight", () => F.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.ZerosInt64(2, 1, 3, 3)) },
        { "Conv2d", "stride 0", () => F.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(2, 1, 3, 3), stride: (0, 1)) },
    };

    [Theory]
    [MemberData(nameof(Misuses))]
    public void ThrowsOnlyWhatItsDocsList(string member, string misuse, Action call)
    {
        var e = Record.Exception(call);
        Assert.True(e is not null, $"F.{member} with {misuse} did not throw");
        Assert.True(Documented.Value.TryGetValue(member, out var types), $"Xent.xml has no docs for F.{member}");
        string thrown = e.GetType().FullName!;
        Assert.True(types.ContainsKey(thrown),
            $"F.{member} with {misuse} throws {thrown} ({e.Message}), but its docs list only {string.Join(", ", types.Keys.Order())}");
        // An argument error names the parameter at fault; the entry for that type must speak of it too.
        if (e is ArgumentException { ParamName: { } param } && typeof(F).GetMethods().Any(m => m.Name == member
                && m.GetParameters().Any(p => p.Name == param)))
            Assert.True(types[thrown].Contains(param, StringComparison.OrdinalIgnoreCase),
                $"F.{member} with {misuse} throws {thrown} for '{param}', which its {thrown} docs do not mention: {types[thrown]}");
    }
}
