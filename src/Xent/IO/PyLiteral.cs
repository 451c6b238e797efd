using System.Globalization;
using System.Text;

namespace Xent.IO;

/// <summary>
/// Parses the small subset of Python literal syntax that .npy headers use: a dict of string keys to
/// strings, <c>True</c>/<c>False</c>/<c>None</c>, integers, and tuples/lists. numpy writes the header
/// with <c>repr()</c> and reads it with <c>ast.literal_eval</c>, so this is the grammar that matters.
/// Values come back as <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>, null,
/// <see cref="List{T}"/> of object (tuples and lists) or <see cref="Dictionary{TKey,TValue}"/> of string to object.
/// </summary>
internal sealed class PyLiteral
{
    /// <summary>Deepest nesting of dicts, tuples and lists accepted; a real header nests two levels.</summary>
    public const int MaxDepth = 32;

    private readonly string _text;
    private int _pos;
    private int _depth;

    private PyLiteral(string text) => _text = text;

    /// <summary>Parses <paramref name="text"/> as one literal followed only by whitespace.</summary>
    /// <exception cref="FormatException">The text is not a supported literal; the message gives the character position.</exception>
    public static object? Parse(string text)
    {
        var p = new PyLiteral(text);
        object? value = p.ParseValue();
        p.SkipWhitespace();
        if (p._pos != text.Length) throw p.Error("unexpected text after the literal");
        return value;
    }

    private FormatException Error(string what) =>
        new($"{what} at character {_pos} of {Quote(_text)}");

    private static string Quote(string s) => s.Length <= 200 ? "\"" + s + "\"" : "\"" + s[..200] + "...\"";

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private object? ParseValue()
    {
        SkipWhitespace();
        if (_pos >= _text.Length) throw Error("unexpected end of header");
        char c = _text[_pos];
        // A hostile header of a million '(' must be an error, not a stack overflow that kills the process.
        if (c is '{' or '(' or '[' && _depth >= MaxDepth) throw Error($"nesting deeper than {MaxDepth} levels");
        switch (c)
        {
            case '{': return Nested(ParseDict);
            case '(': return Nested(() => ParseSequence('(', ')'));
            case '[': return Nested(() => ParseSequence('[', ']'));
            case '\'':
            case '"': return ParseString();
        }
        if (c == '-' || c == '+' || char.IsAsciiDigit(c)) return ParseInt();
        if (char.IsAsciiLetter(c))
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
            string word = _text[start.._pos];
            switch (word)
            {
                case "True": return true;
                case "False": return false;
                case "None": return null;
            }
            _pos = start;
            throw Error($"unexpected name '{word}'");
        }
        throw Error($"unexpected character '{c}'");
    }

    private T Nested<T>(Func<T> parse)
    {
        _depth++;
        try { return parse(); }
        finally { _depth--; }
    }

    private Dictionary<string, object?> ParseDict()
    {
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        _pos++; // '{'
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error("unterminated dict");
            if (_text[_pos] == '}') { _pos++; return dict; }
            int keyPos = _pos;
            if (ParseValue() is not string key) { _pos = keyPos; throw Error("dict key is not a string"); }
            SkipWhitespace();
            if (_pos >= _text.Length || _text[_pos] != ':') throw Error("expected ':' after dict key");
            _pos++;
            object? value = ParseValue();
            if (!dict.TryAdd(key, value)) { _pos = keyPos; throw Error($"duplicate key '{key}'"); }
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error("unterminated dict");
            if (_text[_pos] == ',') { _pos++; continue; }
            if (_text[_pos] == '}') { _pos++; return dict; }
            throw Error("expected ',' or '}' in dict");
        }
    }

    private List<object?> ParseSequence(char open, char close)
    {
        var items = new List<object?>();
        _pos++; // open
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error($"unterminated '{open}'");
            if (_text[_pos] == close) { _pos++; return items; }
            items.Add(ParseValue());
            SkipWhitespace();
            if (_pos >= _text.Length) throw Error($"unterminated '{open}'");
            if (_text[_pos] == ',') { _pos++; continue; }
            if (_text[_pos] == close) { _pos++; return items; }
            throw Error($"expected ',' or '{close}'");
        }
    }

    private string ParseString()
    {
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length) throw Error("unterminated string");
            char c = _text[_pos++];
            if (c == quote) return sb.ToString();
            if (c == '\\')
            {
                if (_pos >= _text.Length) throw Error("unterminated string");
                char e = _text[_pos++];
                sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
                continue;
            }
            sb.Append(c);
        }
    }

    private long ParseInt()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+') _pos++;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
        // Python 2 era numpy wrote long dimensions as "3L".
        int end = _pos;
        if (_pos < _text.Length && _text[_pos] is 'L' or 'l') _pos++;
        if (!long.TryParse(_text.AsSpan(start, end - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
        {
            _pos = start;
            throw Error("invalid integer");
        }
        return v;
    }
}
