namespace Xent.Training;

/// <summary>Class names of the datasets the CLI knows.</summary>
public static class ClassNames
{
    /// <summary>Fashion-MNIST's ten classes, in label order.</summary>
    public static IReadOnlyList<string> FashionMnist { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's digits "0" … "9".</summary>
    public static IReadOnlyList<string> Digits { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>
    /// Names for a dataset folder: Fashion-MNIST's when the path mentions "fashion", digits otherwise
    /// (both datasets share the IDX format and label range, so the folder name is the only hint).
    /// </summary>
    public static IReadOnlyList<string> ForDataset(string dataDirectory) =>
        dataDirectory.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? FashionMnist : Digits;
}
