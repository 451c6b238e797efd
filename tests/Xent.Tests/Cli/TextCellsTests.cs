using System.Reflection;
using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// The terminal columns xent's text tables pad names by (Xent.Cli's TextCells, an internal class reached by reflection), against
/// widths counted by hand as a modern terminal (VTE, kitty, WezTerm) draws the text: one column per letter, two per CJK or
/// full-width character and per emoji, none for a combining mark or a zero-width character, and one grapheme cluster (a flag,
/// an emoji joined with U+200D, a keycap) drawn once.
/// </summary>
public class TextCellsTests
{
    private static readonly Type s_cells = InProcessCli.Assembly.GetType("Xent.Cli.Commands.TextCells", throwOnError: true)!;

    private static T Call<T>(string method, params object[] args) =>
        (T)s_cells.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args)!;

    public static TheoryData<string, int> HandCounted() => new()
    {
        { "abc", 3 },
        { "a\u200db", 2 }, // a zero-width joiner between letters: nothing to join, drawn as nothing (qa-s19-a L2)
        { "a\u200bb", 2 }, // a zero-width space
        { "\U0001F1EB\U0001F1F7", 2 }, // 🇫🇷: two regional indicators, one flag
        { "\U0001F1EB\U0001F1F7\U0001F1E9\U0001F1EA", 4 }, // 🇫🇷🇩🇪: two flags
        { "\U0001F1EB", 2 }, // a lone regional indicator, an emoji by default (a letter in a box)
        { "\U0001F468\u200d\U0001F469\u200d\U0001F467", 2 }, // 👨‍👩‍👧: a family, one emoji
        { "\U0001F44D\U0001F3FD", 2 }, // 👍🏽: a skin tone modifies the emoji
        { "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", 2 }, // England's flag: a tag sequence
        { "\u2764", 1 }, // ❤ is text by default
        { "\u2764\uFE0F", 2 }, // ❤️: U+FE0F asks for the emoji
        { "#\uFE0F\u20E3", 2 }, // #️⃣: a keycap
        { "\U0001F389", 2 }, // 🎉
        { "e\u0301te\u0301", 3 }, // été with combining accents
        { "中文", 4 },
        { "ｆｕｌｌ", 8 }, // full-width Latin
        { "한", 2 }, // a Hangul syllable
        { "\u1112\u1161\u11ab", 2 }, // the same syllable as three jamo
        { "\u00ad", 1 }, // a soft hyphen is shown
        { "עברית", 5 },
        { "مَرْحَبًا", 5 }, // five Arabic letters and their vowel marks
        { "İstanbul\U0001F389", 10 },
        { "a\nb", 6 }, // shown as a\x0ab
        // Spacing vowel signs take their own column (qa-s20-b M1; glibc's wcswidth agrees): हिंदी is ह ि ं द ी, 1 + 1 + 0 + 1 + 1.
        { "\u0939\u093F\u0902\u0926\u0940", 4 },
        { "\u0915\u093F", 2 }, // कि
        { "\u0B95\u0BCA", 2 }, // கொ: Tamil's two-part vowel sign
        { "\u0E01\u0E33", 2 }, // กำ: Thai's sara am
    };

    [Theory]
    [MemberData(nameof(HandCounted))]
    public void WidthIsTheColumnsATerminalDraws(string text, int columns) => Assert.Equal(columns, Call<int>("Width", text));

    [Fact]
    public void PaddingFillsToTheSameColumnWhateverTheClusters()
    {
        // Every name padded to 12 columns ends where the plain one does: the spaces added are 12 minus the hand count.
        foreach (var (name, columns) in new[]
                 { ("a\u200db", 2), ("\U0001F1EB\U0001F1F7", 2), ("\U0001F468\u200d\U0001F469\u200d\U0001F467", 2), ("中文", 4), ("x", 1) })
        {
            string padded = Call<string>("PadRight", name, 12);
            Assert.Equal(name + new string(' ', 12 - columns), padded);
            Assert.Equal(new string(' ', 12 - columns) + name, Call<string>("PadLeft", name, 12));
        }
    }
}
