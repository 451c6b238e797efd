using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>Core ops against values PyTorch computed (tools/golden/gen_ops.py).</summary>
public class GoldenOpsTests
{
    private static Tensor G(string name) => Golden.Load("ops", name);

    [Fact]
    public void BroadcastArithmeticAndGradientsMatchPyTorch()
    {
        var a = G("bcast_a").RequiresGrad_();
        var b = G("bcast_b").RequiresGrad_();
        var c = G("bcast_c").RequiresGrad_();
        var output = (a + b) * c - a / c;
        Check.Close(G("bcast_out"), output, what: "forward");
        (output * G("bcast_r")).Sum().Backward();
        Check.Close(G("bcast_grad_a"), a.Grad!, 1e-5, 1e-6, "grad a");
        Check.Close(G("bcast_grad_b"), b.Grad!, 1e-5, 1e-5, "grad b");
        Check.Close(G("bcast_grad_c"), c.Grad!, 1e-5, 1e-5, "grad c");
    }

    [Fact]
    public void UnaryOpsMatchPyTorch()
    {
        var x = G("unary_x").RequiresGrad_();
        var u = x.Exp() + x.Log() + x.Sigmoid() + x.Pow(2.5f) - x.Neg();
        Check.Close(G("unary_out"), u, 1e-5, 1e-6, "forward");
        (u * G("unary_r")).Sum().Backward();
        Check.Close(G("unary_grad_x"), x.Grad!, 1e-5, 1e-5, "grad");
    }

    [Fact]
    public void ReductionsMatchPyTorch()
    {
        var x = G("reduce_x").RequiresGrad_();
        Check.Close(G("reduce_sum_dim1"), x.Sum(1), 1e-5, 1e-6);
        Check.Close(G("reduce_mean_dim2_keep"), x.Mean(2, keepDim: true), 1e-5, 1e-6);
        var (values, indices) = x.Max(1);
        Check.Close(G("reduce_max_dim1_values"), values, 0, 0);
        Assert.Equal(G("reduce_max_dim1_indices").ToInt64Array(), indices.ToInt64Array());
        Assert.Equal(G("reduce_argmax_dim2").ToInt64Array(), x.ArgMax(2).ToInt64Array());
        (values * G("reduce_r")).Sum().Backward();
        Check.Close(G("reduce_max_grad_x"), x.Grad!, 0, 0);
    }

    [Fact]
    public void MatMulMatchesPyTorch()
    {
        var a = G("mm_a").RequiresGrad_();
        var b = G("mm_b").RequiresGrad_();
        var m = a.MatMul(b);
        Check.Close(G("mm_out"), m, 1e-5, 1e-5);
        (m * G("mm_r")).Sum().Backward();
        Check.Close(G("mm_grad_a"), a.Grad!, 1e-5, 1e-5);
        Check.Close(G("mm_grad_b"), b.Grad!, 1e-5, 1e-5);
        Check.Close(G("bmm_out"), G("bmm_a").MatMul(G("bmm_b")), 1e-5, 1e-5);
    }

    [Fact]
    public void GatherTransposeIndexSelectMatchPyTorch()
    {
        var x = G("gather_x").RequiresGrad_();
        var g = x.Gather(1, G("gather_idx"));
        Check.Close(G("gather_out"), g, 0, 0);
        g.Sum().Backward();
        Check.Close(G("gather_grad_x"), x.Grad!, 0, 0);
        var t = G("transpose_x");
        Check.Close(G("transpose_02"), t.Transpose(0, 2), 0, 0);
        Check.Close(G("index_select_out"), t.IndexSelect(1, G("index_select_idx")), 0, 0);
    }
}
