#!/usr/bin/env python3
"""Turns the statements of one request, taken from PostgreSQL's statement log, into a pgbench script that replays
them over a pool of rows: the SQL the API really sent, with no application between the statements (bench/jobs.sh's
ceiling of the job report).

    log-to-pgbench.py LOG FROM_LINE MARKER TABLE ROWS [NAME=VALUE ...] [--fresh UUID ...] > script.sql

LOG is the cluster's log, read from line FROM_LINE on, written with log_min_duration_statement = 0 and the default
log_line_prefix ('%m [%p] '). The request is the first transaction (BEGIN ... COMMIT on one backend) whose statements
mention MARKER. The script:
  - picks row n of TABLE (columns n = 1..ROWS and one per NAME) into pgbench variables, with a new uuid fK for each
    --fresh id (an id the request created, such as its events': each replay needs new ones);
  - then sends the transaction's statements as logged, pipelined into one round trip (the fewest any client can
    take, so the script's rate is a ceiling on the request's). Each parameter is the logged literal, except: a value
    that is one of the NAME=VALUE values becomes :NAME; a value that holds such values or fresh ids among other text
    (a document, an event) becomes a variable that the pick query builds, with them swapped for the picked row's;
    Marten's expected stream version (mt_quick_append_events' last argument) becomes NULL, as the replayed streams
    stand at other versions (the function reads the stream's version either way).
Run it with pgbench -M prepared, as the API's pool prepares its statements.
"""
import base64
import re
import sys

ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\w+):  (.*)$")
EXECUTE = re.compile(r"^(?:duration: [\d.]+ ms  )?(?:execute [^:]*|statement): (.*)$", re.S)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.S)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def entries(lines):
    """(pid, level, message) per log entry; continuation lines (a tab first) joined back with newlines."""
    current = None
    for line in lines:
        line = line.rstrip("\n")
        m = ENTRY.match(line)
        if m:
            if current:
                yield current
            current = [m.group(1), m.group(2), m.group(3)]
        elif current and line.startswith("\t"):
            current[2] += "\n" + line[1:]
    if current:
        yield current


def statements(log_entries):
    """(pid, sql, {n: literal}) per executed statement."""
    pending = None
    for pid, level, message in log_entries:
        if level == "DETAIL" and pending and pending[0] == pid and message.startswith("parameters: "):
            pending[2].update({int(n): v for n, v in PARAM.findall(message[len("parameters: "):])})
            continue
        if pending:
            yield pending
            pending = None
        if level == "LOG":
            m = EXECUTE.match(message)
            if m:
                pending = (pid, m.group(1), {})
    if pending:
        yield pending


def inline(sql, params):
    return re.sub(r"\$(\d+)\b", lambda m: params.get(int(m.group(1)), m.group(0)), sql)


def main(argv):
    if len(argv) < 6:
        sys.exit(__doc__)
    log, first, marker, table, count = argv[1], int(argv[2]), argv[3].lower(), argv[4], int(argv[5])
    names, fresh, args = {}, set(), argv[6:]
    while args:
        a = args.pop(0)
        if a == "--fresh":
            while args and not args[0].startswith("--") and "=" not in args[0]:
                fresh.add(args.pop(0).lower())
        else:
            name, _, value = a.partition("=")
            names[value.lower()] = name
    with open(log, encoding="utf-8", errors="replace") as f:
        lines = f.readlines()[first - 1:]

    # Transactions per backend: from a BEGIN to its COMMIT (or ROLLBACK).
    open_tx, found = {}, None
    for pid, sql, params in statements(entries(lines)):
        text = inline(sql, params)
        head = text.lstrip().lower()
        if head.startswith("begin"):
            open_tx[pid] = [(sql, params)]
            continue
        if pid not in open_tx:
            continue
        open_tx[pid].append((sql, params))
        if head.startswith(("commit", "rollback")):
            tx = open_tx.pop(pid)
            if any(marker in inline(q, p).lower() for q, p in tx):
                found = tx
                break
    if not found:
        sys.exit(f"no transaction mentioning {marker} in {log} from line {first}")

    # Each parameter becomes: NULL; a literal, as logged; :NAME, when it is one of the named uuids; or, when it
    # holds named or fresh uuids among other text, a variable lK that the pick query builds from the literal.
    built, fresh_names = [], {u: f"f{i}" for i, u in enumerate(sorted(fresh), 1)}
    def param(lit):
        if lit == "NULL":
            return lit
        value = lit[1:-1].replace("''", "'")
        if value.lower() in names:
            return ":" + names[value.lower()]
        swaps = sorted({u for u in fresh if u in value.lower()} | {v for v in names if v in value.lower()}, key=len, reverse=True)
        # pgbench would take a ":name" inside a literal (an image's ":latest") for one of its variables: such a
        # literal is built by the pick query too, from base64, which has no colon.
        if not swaps and not re.search(r":[A-Za-z_]", value):
            return lit
        expr = f"convert_from(decode('{base64.b64encode(value.encode()).decode()}', 'base64'), 'UTF8')"
        for u in swaps:
            expr = f"replace({expr}, '{u}', s.{names.get(u) or fresh_names[u]}::text)"
        built.append(f"{expr} as l{len(built) + 1}")
        return f":l{len(built)}"

    script = []
    for sql, params in found:
        if "mt_quick_append_events(" in sql and 13 in params:
            params[13] = "NULL"  # Marten's expected version: the replayed streams are at other versions
        script.append(re.sub(r"\$(\d+)\b", lambda m: param(params[int(m.group(1))]) if int(m.group(1)) in params else m.group(0), sql))
    columns = ", ".join(["s.*"] + built)
    randoms = "".join(f", gen_random_uuid() as {n}" for n in fresh_names.values())
    print(f"\\set n random(1, {count})")
    print(f"select {columns} from (select t.*{randoms} from {table} t where t.n = :n) s \\gset")
    print("\\startpipeline")
    for s in script:
        print(s.strip().rstrip(";") + ";")
    print("\\endpipeline")


if __name__ == "__main__":
    main(sys.argv)
