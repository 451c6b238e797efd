using System.Reflection;
using System.Xml.Linq;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>
/// The XML docs of the public API link only to public API: a package user's IDE can neither show nor follow a link to an
/// internal kernel, so such a doc must say itself what the user needs (qa-s20-lib L3). Every library package is checked: Xent,
/// Xent.Onnx and Xent.Distributed (tools/pack, README's <c>dotnet pack</c>), each also for its links into the others.
/// </summary>
public class PublicDocLinksTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static |
        BindingFlags.DeclaredOnly;

    /// <summary>The packed libraries, and how many links into them their docs hold at least (fewer: the XML file is not whole).</summary>
    private static readonly Dictionary<string, (Assembly Assembly, int MinLinks)> Packages = new()
    {
        ["Xent"] = (typeof(F).Assembly, 101),
        ["Xent.Onnx"] = (typeof(Xent.Onnx.OnnxExporter).Assembly, 15), // 23 when this was written
        ["Xent.Distributed"] = (typeof(Xent.Distributed.MpiWorld).Assembly, 10), // 14
    };

    /// <summary>The type a documentation ID's type name denotes (nested types are joined by '.' there, '+' here).</summary>
    private static Type? FindType(string name)
    {
        foreach (var (assembly, _) in Packages.Values)
            if (assembly.GetType(name) is { } t) return t;
        int dot = name.LastIndexOf('.');
        return dot < 0 ? null : FindType(name[..dot]) is { } outer ? outer.GetNestedType(name[(dot + 1)..], All) : null;
    }

    private static bool Visible(MemberInfo m) => m switch
    {
        Type t => t.IsVisible,
        MethodBase b => b.DeclaringType!.IsVisible && (b.IsPublic || b.IsFamily || b.IsFamilyOrAssembly),
        PropertyInfo p => p.GetAccessors(true).Any(Visible),
        FieldInfo f => f.DeclaringType!.IsVisible && (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && Visible(add),
        _ => false,
    };

    /// <summary>
    /// Whether the documentation ID (T:, M:, P:, F:, E:) names public API; null when it names nothing in the packages (a System
    /// type, say). Overloads are told apart by their parameter count only: one of them counts as public when any of that
    /// name and count is.
    /// </summary>
    private static bool? IsPublic(string id)
    {
        string kind = id[..2], name = id[2..].Split('(')[0];
        if (kind == "T:") return FindType(name) is { } type ? type.IsVisible : null;
        int dot = name.LastIndexOf('.');
        if (dot < 0 || FindType(name[..dot]) is not { } owner) return null;
        string member = name[(dot + 1)..].Replace("#ctor", ".ctor").Replace("#cctor", ".cctor").Split("``")[0];
        var found = owner.GetMember(member, All);
        if (kind == "M:" && ParameterCount(id) is int count)
            found = found.Where(m => m is not MethodBase b || b.GetParameters().Length == count).ToArray();
        return found.Length == 0 ? null : found.Any(Visible);
    }

    /// <summary>The number of parameters a method's documentation ID lists (commas outside {…} nesting).</summary>
    private static int? ParameterCount(string id)
    {
        int open = id.IndexOf('(');
        if (open < 0) return 0;
        int depth = 0, count = 1;
        foreach (char c in id[(open + 1)..^1])
        {
            if (c is '{' or '(') depth++;
            else if (c is '}' or ')') depth--;
            else if (c == ',' && depth == 0) count++;
        }
        return count;
    }

    [Theory]
    [InlineData("Xent")]
    [InlineData("Xent.Onnx")]
    [InlineData("Xent.Distributed")]
    public void PublicMembersLinkOnlyToPublicApi(string package)
    {
        var (assembly, minLinks) = Packages[package];
        string xml = Path.Combine(Path.GetDirectoryName(assembly.Location)!, package + ".xml");
        var wrong = new List<string>();
        int checkedLinks = 0;
        foreach (var member in XDocument.Load(xml).Descendants("member"))
        {
            string id = (string)member.Attribute("name")!;
            if (IsPublic(id) != true) continue;
            foreach (var link in member.Descendants().Where(e => e.Name != "inheritdoc" && e.Attribute("cref") is not null))
            {
                string target = (string)link.Attribute("cref")!;
                bool? targetPublic = IsPublic(target);
                if (targetPublic is null) continue;
                checkedLinks++;
                if (targetPublic == false) wrong.Add($"{id} links to {target}");
            }
        }
        Assert.True(checkedLinks >= minLinks, $"only {checkedLinks} links into the packages were checked; is {package}.xml complete?");
        Assert.True(wrong.Count == 0, "public docs that link to internals:\n" + string.Join("\n", wrong));
    }
}
