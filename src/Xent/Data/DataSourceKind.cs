namespace Xent.Data;

/// <summary>The kinds of data <see cref="DatasetFactory.Detect(string)"/> recognises from a path.</summary>
public enum DataSourceKind
{
    /// <summary>A CSV or TSV file with a header (<c>.csv</c>, <c>.tsv</c>, optionally <c>.gz</c>).</summary>
    Csv,

    /// <summary>A folder of class folders of images (<c>DIR/&lt;class&gt;/*.png</c>).</summary>
    ImageFolder,

    /// <summary>A <c>.npy</c> features file (its labels come separately).</summary>
    Npy,

    /// <summary>A folder with MNIST-format IDX files.</summary>
    Idx,

    /// <summary>One image file (predict only).</summary>
    Image,

    /// <summary>A folder of images without class folders (predict only).</summary>
    ImageFiles,
}
