using System.Diagnostics;
using System.Numerics;
using System.Text;
using Sharedcloud.Es.Domain.Jobs.Code;
using Sharedcloud.Es.Domain.Runs.Parameters;

namespace Sharedcloud.Es.Domain.Tests.Jobs;

/// <summary>
/// The wrapped code is run for real, as a provider's image does (<c>python -c "$CODE"</c>,
/// <c>node -e "$CODE"</c>), under each interpreter this machine has; a test for an interpreter it lacks is
/// reported as skipped, not passed.
/// </summary>
public class WrappedCodeTests
{
    private static readonly Guid JobId = Guid.Parse("0b6f3c1e-8a52-4d0e-9c1b-2f7d5e4a6c3b");
    private static readonly string Marker = WrappedCode.MarkerFor(JobId);

    private static readonly PyTuple One = new([new PyInt(1)]);

    private const string HelloWorld =
        "import time\ndef handler(event):\n    print(\"Hello World {}\".format(event[0]))\n    return 42";

    private static Ran RunPython(string interpreter, string code, PyTuple arguments) =>
        Interpreters.Run(interpreter, "-c", WrappedCode.For("python36", code, arguments, Marker));

    private static Ran RunNode(string code, PyTuple arguments) =>
        Interpreters.Run(Interpreters.Node!, "-e", WrappedCode.For("node8", code, arguments, Marker));

    private static void AssertSucceeded(Ran ran, string stdout, string result)
    {
        Assert.True(ran.ExitCode == 0, $"exit code {ran.ExitCode}, stderr: {ran.Stderr}");
        Assert.Equal((stdout, result), JobOutput.Split(ran.Stdout, Marker));
    }

    private static void AssertFailed(Ran ran, string message, string stdout)
    {
        Assert.NotEqual(0, ran.ExitCode);
        Assert.Contains(message, ran.Stderr);
        Assert.DoesNotContain(Marker, ran.Stdout);
        Assert.Equal((stdout, ""), JobOutput.Split(ran.Stdout, Marker));
    }

    // Python: the same scenarios under Python 3 and Python 2.7, which get the same text.

    private static void Returns_the_handlers_result_and_the_users_own_output(string python) =>
        AssertSucceeded(RunPython(python, HelloWorld, One), "Hello World 1\n", "42");

    [Python3Fact]
    public void Python3_returns_the_handlers_result_and_the_users_own_output() =>
        Returns_the_handlers_result_and_the_users_own_output(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_returns_the_handlers_result_and_the_users_own_output() =>
        Returns_the_handlers_result_and_the_users_own_output(Interpreters.Python27!);

    private static void Keeps_a_multi_line_non_ascii_result(string python)
    {
        AssertSucceeded(RunPython(python, "def handler(event):\n    return 'é\\nü'", One), "", "é\nü");
        AssertSucceeded(RunPython(python, "def handler(event):\n    return u'é\\nü'", One), "", "é\nü");
        AssertSucceeded(
            RunPython(python, "def handler(event):\n    return event[0]", new PyTuple([new PyStr("é\nü😀\u0000")])),
            "",
            "é\nü😀\u0000");
    }

    [Python3Fact]
    public void Python3_keeps_a_multi_line_non_ascii_result() => Keeps_a_multi_line_non_ascii_result(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_keeps_a_multi_line_non_ascii_result() => Keeps_a_multi_line_non_ascii_result(Interpreters.Python27!);

    private static void Passes_the_tuple_itself_with_every_kind_of_value(string python)
    {
        var arguments = new PyTuple([
            new PyInt(1), new PyInt(-2), new PyInt(BigInteger.Parse("123456789012345678901234567890")),
            new PyFloat(0.1), new PyFloat(1e16), new PyFloat(-0.0), new PyStr("é\nü😀\u0000'\"\\"), PyNone.Instance,
            new PyBool(true), new PyList([new PyFloat(1.5), new PyTuple([])]),
        ]);
        // What Python 3 printed for json.dumps of the same tuple.
        const string json =
            "[1, -2, 123456789012345678901234567890, 0.1, 1e+16, -0.0, \"\\u00e9\\n\\u00fc\\ud83d\\ude00\\u0000'\\\"\\\\\", null, true, [1.5, []]]";
        AssertSucceeded(
            RunPython(python, "import json\ndef handler(event):\n    assert type(event) is tuple\n    return json.dumps(event)", arguments),
            "",
            json);
    }

    [Python3Fact]
    public void Python3_passes_the_tuple_itself_with_every_kind_of_value() =>
        Passes_the_tuple_itself_with_every_kind_of_value(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_passes_the_tuple_itself_with_every_kind_of_value() =>
        Passes_the_tuple_itself_with_every_kind_of_value(Interpreters.Python27!);

    private static void A_raising_handler_fails_the_process_with_its_traceback(string python) =>
        AssertFailed(
            RunPython(python, "def handler(event):\n    print('before')\n    raise ValueError('no luck today')", One),
            "ValueError: no luck today",
            "before\n");

    [Python3Fact]
    public void Python3_a_raising_handler_fails_the_process_with_its_traceback() =>
        A_raising_handler_fails_the_process_with_its_traceback(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_a_raising_handler_fails_the_process_with_its_traceback() =>
        A_raising_handler_fails_the_process_with_its_traceback(Interpreters.Python27!);

    private static void A_marker_of_another_job_is_the_users_output(string python)
    {
        var fake = WrappedCode.MarkerFor(Guid.Parse("7d0c4a9e-1f23-4b6a-8e5d-3c2b1a0f9e8d")) + "\"fake\"";
        var code = "import sys\ndef handler(event):\n    sys.stdout.write('a\\n" + fake.Replace("\"", "\\\"") + "\\nb')\n    return 'real'";
        AssertSucceeded(RunPython(python, code, One), "a\n" + fake + "\nb", "real");
    }

    [Python3Fact]
    public void Python3_a_marker_of_another_job_is_the_users_output() =>
        A_marker_of_another_job_is_the_users_output(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_a_marker_of_another_job_is_the_users_output() =>
        A_marker_of_another_job_is_the_users_output(Interpreters.Python27!);

    private static void Output_without_a_trailing_newline_comes_back_exactly(string python) =>
        AssertSucceeded(RunPython(python, "import sys\ndef handler(event):\n    sys.stdout.write(\"x\")\n    return None", One), "x", "None");

    [Python3Fact]
    public void Python3_output_without_a_trailing_newline_comes_back_exactly() =>
        Output_without_a_trailing_newline_comes_back_exactly(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_output_without_a_trailing_newline_comes_back_exactly() =>
        Output_without_a_trailing_newline_comes_back_exactly(Interpreters.Python27!);

    private static void Leaves_the_users_names_alone(string python) =>
        AssertSucceeded(
            RunPython(python, "json = sys = result = text = 'mine'\ndef handler(event):\n    return json + sys + result + text", One),
            "",
            "minemineminemine");

    [Python3Fact]
    public void Python3_leaves_the_users_names_alone() => Leaves_the_users_names_alone(Interpreters.Python3!);

    [Python27Fact]
    public void Python27_leaves_the_users_names_alone() => Leaves_the_users_names_alone(Interpreters.Python27!);

    // Node.

    [NodeFact]
    public void Node_returns_a_synchronous_result_and_the_users_own_output() =>
        AssertSucceeded(
            RunNode("function handler(event) {\n  console.log('Hello World ' + event[0]);\n  return 42;\n}", One),
            "Hello World 1\n",
            "42");

    [NodeFact]
    public void Node_awaits_a_returned_promise() =>
        AssertSucceeded(
            RunNode("async function handler(event) {\n  await new Promise(r => setTimeout(r, 10));\n  return 'é\\nü' + event[0];\n}", One),
            "",
            "é\nü1");

    [NodeFact]
    public void Node_passes_the_tuple_as_an_array() =>
        AssertSucceeded(
            RunNode(
                "const handler = event => JSON.stringify(event)",
                new PyTuple([new PyInt(1), new PyStr("é"), new PyList([new PyFloat(2.5), PyNone.Instance]), new PyBool(true), new PyTuple([])])),
            "",
            "[1,\"é\",[2.5,null],true,[]]");

    [NodeFact]
    public void Node_a_thrown_error_fails_the_process_with_its_stack() =>
        AssertFailed(
            RunNode("function handler(event) {\n  console.log('before');\n  throw new Error('no luck today');\n}", One),
            "no luck today",
            "before\n");

    [NodeFact]
    public void Node_a_rejected_promise_fails_the_process_with_its_stack() =>
        AssertFailed(
            RunNode("function handler(event) {\n  return new Promise((_, reject) => setTimeout(() => reject(new Error('no luck today')), 10));\n}", One),
            "no luck today",
            "");

    /// <summary>Node 8 only warns about an unhandled rejection and exits with 0; this node is told to do the same.</summary>
    [NodeFact]
    public void Node_a_rejected_promise_fails_the_process_where_unhandled_rejections_only_warn() =>
        AssertFailed(
            Interpreters.Run(
                Interpreters.Node!,
                "--unhandled-rejections=warn",
                "-e",
                WrappedCode.For("node8", "function handler(event) {\n  return Promise.reject(new Error('no luck today'));\n}", One, Marker)),
            "no luck today",
            "");

    [NodeFact]
    public void Node_output_without_a_trailing_newline_comes_back_exactly() =>
        AssertSucceeded(RunNode("function handler(event) { process.stdout.write('x'); return null }", One), "x", "null");

    // Without an interpreter.

    [Fact]
    public void The_marker_names_the_job() =>
        Assert.Equal("__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:", Marker);

    [Fact]
    public void Both_python_runtimes_get_the_same_text_which_starts_with_the_users_code()
    {
        var python36 = WrappedCode.For("python36", HelloWorld, One, Marker);
        Assert.Equal(python36, WrappedCode.For("python27", HelloWorld, One, Marker));
        Assert.StartsWith(HelloWorld + "\n\n", python36);
        Assert.Contains("handler((1,))", python36);
        Assert.StartsWith("function handler() {}\n\n", WrappedCode.For("node8", "function handler() {}", One, Marker));
    }

    [Fact]
    public void Non_ascii_python_code_gets_a_coding_declaration_unless_it_has_one()
    {
        Assert.StartsWith("# -*- coding: utf-8 -*-\nx = u'é'\n", WrappedCode.For("python27", "x = u'é'", One, Marker));
        const string declared = "#!/usr/bin/env python\n# coding=latin-1\nx = u'é'";
        Assert.StartsWith(declared + "\n", WrappedCode.For("python27", declared, One, Marker));
    }

    [Theory]
    [InlineData("python3")]
    [InlineData("node")]
    [InlineData("")]
    public void An_unknown_runtime_is_refused(string runtime) =>
        Assert.Throws<ArgumentException>(() => WrappedCode.For(runtime, "", One, Marker));

    [Theory]
    [InlineData("")]
    [InlineData("a'b")]
    [InlineData("a b")]
    [InlineData("a\nb")]
    public void A_marker_that_would_not_survive_quoting_is_refused(string marker) =>
        Assert.Throws<ArgumentException>(() => WrappedCode.For("node8", "", One, marker));

    [Fact]
    public void Split_takes_the_last_marker_line_and_removes_exactly_what_the_wrapper_wrote() =>
        Assert.Equal(
            ("a\n" + Marker + "\"first\"\nb", "second"),
            JobOutput.Split("a\n" + Marker + "\"first\"\nb\n" + Marker + "\"second\"\n", Marker));

    [Fact]
    public void Split_takes_a_marker_at_the_very_start() =>
        Assert.Equal(("rest\n", "r"), JobOutput.Split(Marker + "\"r\"\nrest\n", Marker));

    [Fact]
    public void Split_takes_a_marker_line_without_its_newline() =>
        Assert.Equal(("out", "é😀"), JobOutput.Split("out\n" + Marker + "\"\\u00e9\\ud83d\\ude00\"", Marker));

    [Fact]
    public void Split_replaces_a_lone_surrogate_of_the_result() =>
        Assert.Equal(("", "a\uFFFDb"), JobOutput.Split("\n" + Marker + "\"a\\ud800b\"\n", Marker));

    [Theory]
    [InlineData("")]
    [InlineData("just output\n")]
    [InlineData("x__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:\"mid-line\"\n")]
    [InlineData("\n__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:42\n")]
    [InlineData("\n__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:\"unterminated\n")]
    [InlineData("\n__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:\"a\" \n")]
    [InlineData("\n__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:\"\\q\"\n")]
    [InlineData("\n__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:\"\\u12\"\n")]
    [InlineData("\n__sharedcloud_result_0b6f3c1e8a524d0e9c1b2f7d5e4a6c3b__:\"tab\there\"\n")]
    public void Split_without_a_good_marker_line_gives_all_output_and_no_result(string output) =>
        Assert.Equal((output, ""), JobOutput.Split(output, Marker));
}

/// <summary>What a run of an interpreter gave.</summary>
public sealed record Ran(int ExitCode, string Stdout, string Stderr);

/// <summary>The interpreters of this machine, each found once; null where there is none that actually runs.</summary>
public static class Interpreters
{
    // First: the fields below run interpreters to find them.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static readonly string? Python3 = Find("python3");
    public static readonly string? Python27 = Find("/root/.pyenv/versions/2.7.18/bin/python2.7", "python2.7");
    public static readonly string? Node = Find("node");

    /// <summary>
    /// The first candidate whose <c>--version</c> exits with 0: a pyenv shim is on PATH even for a version that
    /// is not installed, and then fails.
    /// </summary>
    private static string? Find(params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            try
            {
                if (Run(candidate, "--version").ExitCode == 0) return candidate;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
            {
                // not installed, or hanging: either way not one to run jobs with
            }
        }
        return null;
    }

    /// <summary>
    /// Runs <paramref name="interpreter"/> with the program as an argument, also in <c>CODE</c> as the image
    /// has it, reading both streams as UTF-8 while it runs so that neither pipe can fill and block it.
    /// </summary>
    public static Ran Run(string interpreter, params string[] arguments)
    {
        var start = new ProcessStartInfo(interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (arguments.Length >= 2) start.Environment["CODE"] = arguments[^1];
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{interpreter} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{interpreter} ran longer than {Timeout}");
        }
        process.WaitForExit();
        return new Ran(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

public sealed class Python3FactAttribute : FactAttribute
{
    public Python3FactAttribute()
    {
        if (Interpreters.Python3 is null) Skip = "python3 is not installed";
    }
}

public sealed class Python27FactAttribute : FactAttribute
{
    public Python27FactAttribute()
    {
        if (Interpreters.Python27 is null) Skip = "Python 2.7 is not installed";
    }
}

public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (Interpreters.Node is null) Skip = "node is not installed";
    }
}
