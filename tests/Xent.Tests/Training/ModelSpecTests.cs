using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

/// <summary>
/// <see cref="ModelSpec.FromMetadata(IReadOnlyDictionary{string, string})"/> on the values xent writes, on those a PyTorch user
/// writes by ARCHITECTURE.md's recipe (Python's <c>str(True)</c>), and on the malformed ones QA's fuzzing found accepted or
/// crashing (qa-s17-fuzz H2, M1–M3).
/// </summary>
public class ModelSpecTests
{
    private static ModelSpec Features(float temperature = 1f, bool multiLabel = false) => new()
    {
        Model = "mlp", InputKind = ModelSpec.FeatureInput, InputShape = [3], ClassNames = ["a", "b"], Mean = [0f, 1f, 2f],
        Std = [1f, 2f, 3f], Hidden = [8, 4], MultiLabel = multiLabel, Temperature = temperature,
        FeatureNames = ["x", "color=red", "color=blue"], TargetColumn = "label", ImputeMissing = true,
    };

    private static Dictionary<string, string> With(string key, string? value)
    {
        var m = Features().ToMetadata();
        if (value is null) m.Remove(ModelSpec.Prefix + key);
        else m[ModelSpec.Prefix + key] = value;
        return m;
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0.01f)] // calibrate's search bounds, as the float it writes
    [InlineData(100f)]
    [InlineData(2.7182817f)]
    public void WhatXentWritesIsReadBack(float temperature)
    {
        foreach (bool multiLabel in new[] { false, true })
        {
            var spec = Features(temperature, multiLabel);
            var back = ModelSpec.FromMetadata(spec.ToMetadata())!;
            Assert.Equal(temperature, back.Temperature);
            Assert.Equal(multiLabel, back.MultiLabel);
            Assert.True(back.ImputeMissing);
            Assert.Equal(spec.FeatureNames, back.FeatureNames);
            Assert.Equal(spec.ClassNames, back.ClassNames);
            Assert.Equal(spec.Hidden, back.Hidden);
        }
        // An image spec without the optional entries (an older xent's): no temperature, multi-label or imputation.
        var image = new Dictionary<string, string>
        {
            ["spec.model"] = "cnn", ["spec.input_kind"] = "image", ["spec.input_shape"] = "1,28,28", ["spec.class_names"] = "[\"0\",\"1\"]",
            ["spec.mean"] = "0.1307", ["spec.std"] = "0.3081",
        };
        var old = ModelSpec.FromMetadata(image)!;
        Assert.Equal((1f, false, false), (old.Temperature, old.MultiLabel, old.ImputeMissing));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)] // Python's str(True)
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    public void MultiLabelIsTrueOrFalseInAnyCase(string value, bool expected) =>
        Assert.Equal(expected, ModelSpec.FromMetadata(With("multi_label", value))!.MultiLabel);

    [Theory]
    [InlineData("MLP", "FEATURES", "MEAN")] // qa-s19-a L5: refused, "Unknown model 'MLP'", while --model MLP is taken
    [InlineData("Mlp", "Features", "Mean")]
    [InlineData("mlp", "features", "mean")]
    public void NamedValuesAreReadInAnyCaseAsXentSpellsThem(string model, string inputKind, string imputeMissing)
    {
        var m = With("model", model);
        (m["spec.input_kind"], m["spec.impute_missing"]) = (inputKind, imputeMissing);
        var spec = ModelSpec.FromMetadata(m)!;
        Assert.Equal(("mlp", ModelSpec.FeatureInput, true), (spec.Model, spec.InputKind, spec.ImputeMissing));
        Assert.Equal(Features().ToMetadata(), spec.ToMetadata());
    }

    [Theory]
    // QA H2: Single() of an empty or comma list threw InvalidOperationException ("Sequence contains …"), exit code 1.
    [InlineData("temperature", "", "'temperature' holds '', not a number.")]
    [InlineData("temperature", "1,5", "'temperature' holds '1,5', not a number (write one number with a decimal point).")]
    // QA M3: 1e-45 passed, and eval then warned that the weights were not finite; calibrate fits T in [0.01, 100].
    [InlineData("temperature", "1e-45", "temperature 1E-45 (spec.temperature) is outside [0.01, 100]")]
    [InlineData("temperature", "0.009", "temperature 0.009 (spec.temperature) is outside [0.01, 100]")]
    [InlineData("temperature", "101", "temperature 101 (spec.temperature) is outside [0.01, 100]")]
    [InlineData("temperature", "0", "is outside [0.01, 100]")]
    [InlineData("temperature", "-1", "is outside [0.01, 100]")]
    [InlineData("temperature", "NaN", "is outside [0.01, 100]")]
    [InlineData("temperature", "Infinity", "is outside [0.01, 100]")]
    // QA M2: anything but exactly "true" was false, turning a sigmoid model into a softmax one without a word.
    [InlineData("multi_label", "yes", "spec.multi_label is 'yes'; expected true or false.")]
    [InlineData("multi_label", "1", "spec.multi_label is '1'; expected true or false.")]
    [InlineData("multi_label", "", "spec.multi_label is ''; expected true or false.")]
    [InlineData("impute_missing", "median", "spec.impute_missing is 'median'; expected 'mean'")]
    [InlineData("impute_missing", "", "spec.impute_missing is ''; expected 'mean'")]
    // QA M1: JSON nulls were accepted, and eval said only "Value cannot be null."
    [InlineData("class_names", "[null,\"b\"]", "spec.class_names holds null at position 0; each name must be a string.")]
    [InlineData("feature_names", "[\"x\",null,\"z\"]", "spec.feature_names holds null at position 1")]
    [InlineData("class_names", "null", "spec.class_names is null, not a list of names.")]
    // QA M3: a feature named twice was read twice from one column, and another never.
    [InlineData("feature_names", "[\"x\",\"x\",\"z\"]", "spec.feature_names names 'x' twice; each name must be different.")]
    [InlineData("class_names", "[\"a\",\"a\"]", "spec.class_names names 'a' twice")]
    // QA M3: .NET's "hiddenSizes ('0') must be greater than or equal to '1'. (Parameter 'hiddenSizes') Actual value was 0."
    [InlineData("hidden", "0", "hidden layer size 0 (spec.hidden '0') is not positive.")]
    [InlineData("hidden", "8,-2", "hidden layer size -2 (spec.hidden '8,-2') is not positive.")]
    public void MalformedValuesAreRefusedNamingTheKey(string key, string value, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelSpec.FromMetadata(With(key, value)));
        Assert.StartsWith("model spec: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValueQuotedInAnErrorIsCut()
    {
        // A hostile file's metadata value may be megabytes: the message quotes its first 200 characters.
        string huge = new string('7', 100_000) + "x";
        foreach (var key in new[] { "temperature", "multi_label", "impute_missing", "mean", "input_shape" })
        {
            var e = Assert.Throws<InvalidDataException>(() => ModelSpec.FromMetadata(With(key, huge)));
            Assert.InRange(e.Message.Length, 200, 400);
            Assert.Contains(new string('7', 200) + "…", e.Message, StringComparison.Ordinal);
        }
        // System.Text.Json's error quotes the rest of a name list from where it fails.
        var json = Assert.Throws<InvalidDataException>(() => ModelSpec.FromMetadata(With("class_names", "[\"a\",n" + huge + "]")));
        Assert.Contains("spec.class_names is not a JSON array of strings ('n777", json.Message, StringComparison.Ordinal);
        Assert.Contains("…' is an invalid JSON literal", json.Message, StringComparison.Ordinal);
        Assert.InRange(json.Message.Length, 100, 500);
    }

    [Fact]
    public void AnErrorNamesTheCheckpointWhenTheCallerGivesIt()
    {
        var metadata = With("multi_label", "yes");
        var e = Assert.Throws<InvalidDataException>(() => ModelSpec.FromMetadata(metadata, "runs/a/checkpoint.safetensors"));
        Assert.Equal("'runs/a/checkpoint.safetensors': model spec: spec.multi_label is 'yes'; expected true or false.", e.Message);
    }
}
