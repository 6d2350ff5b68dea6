using System.Numerics;
using Sharedcloud.Es.Domain.Runs.Parameters;

namespace Sharedcloud.Es.Domain.Tests.Runs;

/// <summary>
/// Expected strings are what Python 3.11 printed for <c>repr(ast.literal_eval(input))</c> of the same input, or
/// that literal_eval refused it (or, where marked, took what the parser refuses on purpose).
/// </summary>
public class PythonLiteralTests
{
    private const int Many = 1000;

    private static IReadOnlyList<PyTuple> Parse(string text, int maxTuples = Many)
    {
        Assert.True(PythonLiteral.TryParseTupleOfTuples(text, maxTuples, out var tuples), $"refused: {text}");
        return tuples;
    }

    private static string ParsedRepr(string text) => PythonLiteral.Repr(new PyTuple([.. Parse(text)]));

    private static void AssertRefused(string text, int maxTuples = Many)
    {
        Assert.False(PythonLiteral.TryParseTupleOfTuples(text, maxTuples, out var tuples), $"accepted: {text}");
        Assert.Empty(tuples);
    }

    [Theory]
    [InlineData("((1,), (2,), (3,))", "((1,), (2,), (3,))")]
    [InlineData("((1, 2, 3), (4, 5, 6))", "((1, 2, 3), (4, 5, 6))")]
    [InlineData("((\"a\", [1, 2.5, None]), (True, -3))", "(('a', [1, 2.5, None]), (True, -3))")]
    [InlineData("((),)", "((),)")]
    [InlineData("(((),),)", "(((),),)")]
    [InlineData("((1, 2,),)", "((1, 2),)")]
    [InlineData("(([1, [2, (3,)]], [], [1,], [\n]),)", "(([1, [2, (3,)]], [], [1], []),)")]
    [InlineData("((True, False, None),)", "((True, False, None),)")]
    public void Accepts_tuples_of_tuples_of_literals(string text, string pythonRepr) =>
        Assert.Equal(pythonRepr, ParsedRepr(text));

    [Theory]
    [InlineData("(1,), (2,)", "((1,), (2,))")]
    [InlineData("(1,),", "((1,),)")]
    [InlineData("(1,), \\\n(2,)", "((1,), (2,))")]
    public void A_top_level_without_parentheses_is_a_tuple(string text, string pythonRepr) =>
        Assert.Equal(pythonRepr, ParsedRepr(text));

    [Theory]
    [InlineData("(((1,)),)", "((1,),)")]
    [InlineData("((-1, +1, -(1), -((2.5)), - 3, (-\n4)),)", "((-1, 1, -1, -2.5, -3, -4),)")]
    public void Parentheses_without_a_comma_only_group(string text, string pythonRepr) =>
        Assert.Equal(pythonRepr, ParsedRepr(text));

    [Theory]
    [InlineData("  ((1,),)", "((1,),)")]
    [InlineData("((1,),)\n", "((1,),)")]
    [InlineData("((1,),)\r\n", "((1,),)")]
    [InlineData("((1,),)  # the end\n\n", "((1,),)")]
    [InlineData("# the parameters\n((1,),)", "((1,),)")]
    [InlineData("(\n  (1,),  # first\n  (2,),\n)", "((1,), (2,))")]
    [InlineData("((1,)\n,)", "((1,),)")]
    [InlineData("((1,), \\\n(2,))", "((1,), (2,))")]
    [InlineData("(\u000C(1,),)", "((1,),)")]
    public void Takes_whitespace_newlines_and_comments_where_Python_does(string text, string pythonRepr) =>
        Assert.Equal(pythonRepr, ParsedRepr(text));

    [Theory]
    [InlineData("((0x1F, 0XfF, 0o17, 0O1_7, 0b101, 0B_1, 0x_ff, 00, 0_0, 1_000),)", "((31, 255, 15, 15, 5, 1, 255, 0, 0, 1000),)")]
    [InlineData("((123456789012345678901234567890, -0x10, -0),)", "((123456789012345678901234567890, -16, 0),)")]
    [InlineData("((1.5, 1e3, 1E+5, .5, 5., 1_0.0_1, 1e-0_5, 01.5, 09e1, 1.e5, 0e0),)", "((1.5, 1000.0, 100000.0, 0.5, 5.0, 10.01, 1e-05, 1.5, 90.0, 100000.0, 0.0),)")]
    [InlineData("((-0.0, 0.0, 1e16, 1e15, 0.1, 1e-05, 0.0001, 1.7976931348623157e308, 5e-324, 2.5e-05, 1e22, 123456789.123, 12345678901234567.0),)", "((-0.0, 0.0, 1e+16, 1000000000000000.0, 0.1, 1e-05, 0.0001, 1.7976931348623157e+308, 5e-324, 2.5e-05, 1e+22, 123456789.123, 1.2345678901234568e+16),)")]
    public void Reads_numbers_as_Python_does(string text, string pythonRepr) =>
        Assert.Equal(pythonRepr, ParsedRepr(text));

    [Theory]
    [InlineData("(('a' 'b', \"c\" 'd', ('e'\n'f')),)", "(('ab', 'cd', 'ef'),)")]
    [InlineData("(('''x\ny''', \"\"\"q\"\"\", '''a'''''),)", "(('x\\ny', 'q', 'a'),)")]
    [InlineData("((r'\\n', R'\\d', u'\u00E9', U'x', r'\\'', r'a\\\nb'),)", "(('\\\\n', '\\\\d', '\u00E9', 'x', \"\\\\'\", 'a\\\\\\nb'),)")]
    [InlineData("(('\\n\\t\\\\\\'\\\"\\a\\b\\f\\v\\0\\x41\\u00e9\\U0001F600\\101\\777\\d\\08',),)", "(('\\n\\t\\\\\\'\"\\x07\\x08\\x0c\\x0b\\x00A\u00E9\U0001F600A\u01FF\\\\d\\x008',),)")]
    [InlineData("(('it\\'s', \"say \\\"hi\\\"\", 'a\\\nb', \"'\", '\"', \"'\\\"\"),)", "((\"it's\", 'say \"hi\"', 'ab', \"'\", '\"', '\\'\"'),)")]
    [InlineData("(('\u00E9\U0001F600\u200B\u007F\u00A0\u2028\uE000\u0085',),)", "(('\u00E9\U0001F600\\u200b\\x7f\\xa0\\u2028\\ue000\\x85',),)")]
    public void Reads_strings_as_Python_does(string text, string pythonRepr) =>
        Assert.Equal(pythonRepr, ParsedRepr(text));

    [Fact]
    public void Gives_the_values_themselves()
    {
        var tuples = Parse("((1, 'a', [2.5, None]), (True, (-123456789012345678901234567890,)))");
        Assert.Equal(
            [
                new PyTuple([new PyInt(1), new PyStr("a"), new PyList([new PyFloat(2.5), PyNone.Instance])]),
                new PyTuple([new PyBool(true), new PyTuple([new PyInt(BigInteger.Parse("-123456789012345678901234567890"))])]),
            ],
            tuples);
    }

    [Fact]
    public void A_tuple_is_not_equal_to_a_list_with_the_same_items()
    {
        Assert.Equal(new PyTuple([new PyInt(1)]), new PyTuple([new PyInt(1)]));
        Assert.Equal(new PyTuple([new PyInt(1)]).GetHashCode(), new PyTuple([new PyInt(1)]).GetHashCode());
        Assert.NotEqual<PyValue>(new PyTuple([new PyInt(1)]), new PyList([new PyInt(1)]));
        Assert.NotEqual(new PyTuple([new PyInt(1)]), new PyTuple([new PyInt(2)]));
    }

    [Theory]
    [InlineData("(1)")]
    [InlineData("((1))")]
    public void A_parenthesised_int_is_not_a_tuple(string text) => AssertRefused(text);

    [Fact]
    public void A_parenthesised_int_is_the_int() =>
        Assert.Equal([new PyTuple([new PyInt(1), new PyInt(2)])], Parse("(((1), ((2))),)"));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\n")]
    [InlineData("# nothing")]
    [InlineData("()")]
    [InlineData("(1,)")]
    [InlineData("((1,))")]
    [InlineData("[(1,)]")]
    [InlineData("((1,), [2])")]
    [InlineData("((1,), 2)")]
    [InlineData("'a'")]
    public void Refuses_what_is_not_a_non_empty_tuple_of_tuples(string text) => AssertRefused(text);

    [Theory]
    [InlineData("((x,),)")]
    [InlineData("((inf,),)")]
    [InlineData("((nan,),)")]
    [InlineData("((True1,),)")]
    [InlineData("((_,),)")]
    [InlineData("((\u00E9,),)")]
    [InlineData("((None(),),)")]
    [InlineData("((1)(2),)")]
    [InlineData("(((1,))[0],)")]
    [InlineData("((True.real,),)")]
    [InlineData("((1 .real,),)")]
    [InlineData("((lambda: 1,),)")]
    [InlineData("((*a,),)")]
    [InlineData("((1 if 1 else 2,),)")]
    [InlineData("((not 1,),)")]
    public void Refuses_names_and_calls(string text) => AssertRefused(text);

    [Theory]
    [InlineData("((1+2,),)")]
    [InlineData("((1,) + (2,),)")]
    [InlineData("((~1,),)")]
    [InlineData("((--1,),)")]
    [InlineData("((+-1,),)")]
    [InlineData("((-(+1),),)")]
    [InlineData("((-True,),)")]
    [InlineData("((-(1,),),)")]
    [InlineData("((-'a',),)")]
    public void Refuses_operators_but_one_sign_on_a_number(string text) => AssertRefused(text);

    [Theory]
    [InlineData("((01,),)")]
    [InlineData("((0_1,),)")]
    [InlineData("((1_,),)")]
    [InlineData("((1__0,),)")]
    [InlineData("((1_.0,),)")]
    [InlineData("((1._5,),)")]
    [InlineData("((0x,),)")]
    [InlineData("((0b2,),)")]
    [InlineData("((0o8,),)")]
    [InlineData("((1e,),)")]
    [InlineData("((1e+,),)")]
    [InlineData("((0x1.5,),)")]
    [InlineData("((1.5.2,),)")]
    [InlineData("((1else,),)")]
    [InlineData("((1 2,),)")]
    public void Refuses_malformed_numbers(string text) => AssertRefused(text);

    [Theory]
    [InlineData("((f'x',),)")]
    [InlineData("((ur'x',),)")]
    [InlineData("(('a' b'b',),)")]
    [InlineData("(('\\x4',),)")]
    [InlineData("(('\\u00e',),)")]
    [InlineData("(('\\U00110000',),)")]
    [InlineData("(('abc,),)")]
    [InlineData("(('a\nb',),)")]
    [InlineData("(('a\rb',),)")]
    [InlineData("((r'\\',),)")]
    [InlineData("(('''a''''),)")]
    [InlineData("(('a' 1,),)")]
    public void Refuses_malformed_strings(string text) => AssertRefused(text);

    [Theory]
    [InlineData("((1,),) x")]
    [InlineData("((1,),);")]
    [InlineData("((1,),)\n((2,),)")]
    [InlineData("(1,),\n(2,)")]
    [InlineData("((1,),")]
    [InlineData("((1,),))")]
    [InlineData("((1,,),)")]
    [InlineData("((,),)")]
    [InlineData("(([,],),)")]
    [InlineData("(,)")]
    [InlineData("\n  ((1,),)")]
    [InlineData("((1,),)\n  ")]
    [InlineData("((1,),) \\")]
    [InlineData("((1,),)\\\n")]
    [InlineData("((1,)\u00A0,)")]
    [InlineData("\uFEFF((1,),)")]
    [InlineData("((1,),)\u0000")]
    [InlineData("((1,)\u000B,)")]
    public void Refuses_anything_after_the_literal_and_broken_syntax(string text) => AssertRefused(text);

    /// <summary>Python 3 takes all of these; see <see cref="PythonLiteral"/> for why the parser does not.</summary>
    [Theory]
    [InlineData("((...,),)")] // Python: ((Ellipsis,),)
    [InlineData("(({1: 2},),)")] // Python: (({1: 2},),)
    [InlineData("(({},),)")] // Python: (({},),)
    [InlineData("(({1},),)")] // Python: (({1},),)
    [InlineData("((set(),),)")] // Python: ((set(),),)
    [InlineData("((b'x',),)")] // Python: ((b'x',),)
    [InlineData("((rb'x',),)")] // Python: ((b'x',),)
    [InlineData("((1e400,),)")] // Python: ((inf,),)
    [InlineData("((1j,),)")] // Python: ((1j,),)
    [InlineData("((1+2j,),)")] // Python: (((1+2j),),)
    [InlineData("((-1.5J,),)")] // Python: (((-0-1.5j),),)
    [InlineData("(('\\N{BULLET}',),)")] // Python: (('•',),)
    [InlineData("(('\\ud800',),)")] // Python: (('\ud800',),)
    [InlineData("(('\\U0000DFFF',),)")] // Python: (('\udfff',),)
    [InlineData("(('\\udc00',),)")] // Python: (('\udc00',),)
    public void Refuses_dicts_sets_complex_bytes_ellipsis_infinity_and_surrogates(string text) => AssertRefused(text);

    [Fact]
    public void Refuses_a_lone_surrogate_in_the_text() => AssertRefused("(('\ud800',),)");

    /// <summary>
    /// Python 3.11 refuses a decimal literal of more than 4300 digits, and the repr of any int that long.
    /// </summary>
    [Fact]
    public void Takes_ints_of_at_most_4300_digits()
    {
        var longest = "-" + new string('9', 4300);
        Assert.Equal("((" + longest + ",),)", ParsedRepr("((" + longest + ",),)"));
        Assert.Equal("((0,),)", ParsedRepr("((" + new string('0', 4301) + ",),)"));
        AssertRefused("((" + new string('1', 4301) + ",),)");
        AssertRefused("((1" + string.Concat(Enumerable.Repeat("_0", 4300)) + ",),)");
        Assert.Equal(4300, Assert.IsType<PyInt>(Parse("((0x" + new string('f', 3571) + ",),)")[0].Items[0]).Value.ToString().Length);
        Assert.Single(Parse("((0b1" + new string('0', 14284) + ",),)"));
        AssertRefused("((0x" + new string('f', 3572) + ",),)");
        AssertRefused("((0b1" + new string('0', 14285) + ",),)");
        AssertRefused("((0x" + new string('f', 1_000_000) + ",),)");
    }

    [Fact]
    public void Takes_at_most_the_limit_of_tuples()
    {
        Assert.Equal(3, Parse("((1,), (2,), (3,))", maxTuples: 3).Count);
        AssertRefused("((1,), (2,), (3,), (4,))", maxTuples: 3);
        AssertRefused("(1,), (2,), (3,), (4,)", maxTuples: 3);
    }

    [Fact]
    public void A_limit_below_one_is_a_bug_of_the_caller() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PythonLiteral.TryParseTupleOfTuples("((1,),)", 0, out _));

    [Fact]
    public void Takes_a_hundred_levels_of_nesting_and_no_more()
    {
        // The outer tuple, one job's tuple, then lists: 1 + 1 + 98 brackets deep.
        static string Nested(int lists) =>
            "((" + new string('[', lists) + "1" + new string(']', lists) + ",),)";

        var tuple = Assert.Single(Parse(Nested(98)));
        Assert.IsType<PyList>(tuple.Items[0]);
        AssertRefused(Nested(99));
    }

    [Theory]
    [InlineData('(')]
    [InlineData('[')]
    public void Refuses_deep_nesting_of_any_length_without_crashing(char open)
    {
        AssertRefused(new string(open, 1_000_000));
        AssertRefused(new string('(', 500_000) + new string(')', 500_000));
        AssertRefused("(" + string.Concat(Enumerable.Repeat("-(", 100_000)) + "1" + new string(')', 100_000) + ",)");
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00012345, "0.00012345")]
    [InlineData(1.0 / 3, "0.3333333333333333")]
    [InlineData(2.0 / 3, "0.6666666666666666")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e100, "1e+100")]
    [InlineData(-1.5e-300, "-1.5e-300")]
    [InlineData(4.35, "4.35")]
    [InlineData(123456789012345.6, "123456789012345.6")]
    [InlineData(9007199254740993.0, "9007199254740992.0")]
    [InlineData(1234567890123456.7, "1234567890123456.8")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(2.2250738585072014e-308, "2.2250738585072014e-308")]
    [InlineData(-0.0, "-0.0")]
    public void Repr_writes_floats_as_Python_does(double value, string pythonRepr) =>
        Assert.Equal(pythonRepr, PythonLiteral.Repr(new PyFloat(value)));

    [Theory]
    [InlineData("abc", "'abc'")]
    [InlineData("it's", "\"it's\"")]
    [InlineData("say \"hi\"", "'say \"hi\"'")]
    [InlineData("it's \"x\"", "'it\\'s \"x\"'")]
    [InlineData("\u0000\u001f\u007f\t\n\r\\", "'\\x00\\x1f\\x7f\\t\\n\\r\\\\'")]
    [InlineData("é😀ẞ", "'é😀ẞ'")]
    [InlineData("\u200b\u0085\u00a0\u2028\u2029\ue000\U000e0001\U0010ffff", "'\\u200b\\x85\\xa0\\u2028\\u2029\\ue000\\U000e0001\\U0010ffff'")]
    [InlineData("", "''")]
    public void Repr_quotes_and_escapes_strings_as_Python_does(string value, string pythonRepr) =>
        Assert.Equal(pythonRepr, PythonLiteral.Repr(new PyStr(value)));

    [Fact]
    public void Repr_writes_containers_as_Python_does()
    {
        Assert.Equal("(1,)", PythonLiteral.Repr(new PyTuple([new PyInt(1)])));
        Assert.Equal("()", PythonLiteral.Repr(new PyTuple([])));
        Assert.Equal("[1, 2]", PythonLiteral.Repr(new PyList([new PyInt(1), new PyInt(2)])));
        Assert.Equal("((),)", PythonLiteral.Repr(new PyTuple([new PyTuple([])])));
        Assert.Equal("[()]", PythonLiteral.Repr(new PyList([new PyTuple([])])));
        Assert.Equal(
            "(-5, 1000000000000000000000000000000, -1000000000000000000000000000000)",
            PythonLiteral.Repr(new PyTuple([
                new PyInt(-5), new PyInt(BigInteger.Pow(10, 30)), new PyInt(-BigInteger.Pow(10, 30))])));
        Assert.Equal(
            "(1, 'a', [2.5, None], True)",
            PythonLiteral.Repr(new PyTuple([
                new PyInt(1), new PyStr("a"), new PyList([new PyFloat(2.5), PyNone.Instance]), new PyBool(true)])));
    }

    private static readonly PyTuple Mixed = new([
        new PyStr("é\n'\\"), new PyFloat(1.5), new PyFloat(1e16), new PyFloat(-0.0), new PyInt(-2),
        new PyInt(BigInteger.Pow(10, 30)), PyNone.Instance, new PyBool(true), new PyBool(false),
        new PyList([]), new PyTuple([]), new PyTuple([new PyInt(1)]), new PyStr("😀"), new PyStr("\u0000\u007f"),
        new PyStr("€\u2028"),
    ]);

    [Fact]
    public void ToPortablePython_writes_ascii_unicode_literals()
    {
        var portable = PythonLiteral.ToPortablePython(Mixed);
        Assert.Equal(
            @"(u'\xe9\n\'\\', 1.5, 1e+16, -0.0, -2, 1000000000000000000000000000000, None, True, False, [], (), (1,), " +
            @"u'\U0001f600', u'\x00\x7f', u'\u20ac\u2028')",
            portable);
        Assert.True(portable.All(char.IsAscii));
    }

    [Fact]
    public void ToJavaScript_writes_arrays_and_ascii_json_strings()
    {
        Assert.Equal(
            @"[""\u00e9\n'\\"", 1.5, 1e+16, -0.0, -2, 1000000000000000000000000000000, null, true, false, [], [], [1], " +
            @"""\ud83d\ude00"", ""\u0000\u007f"", ""\u20ac\u2028""]",
            PythonLiteral.ToJavaScript(Mixed));
    }

    [Fact]
    public void The_error_message_shows_what_to_enter() =>
        Assert.Equal("Enter a tuple of tuples, such as ((1,), (2,)).", PythonLiteral.TupleOfTuplesExpected);
}
