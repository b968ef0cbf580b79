#!/usr/bin/env python3
"""Docs that must agree with the code, run by `tests/run-all lint` (so by `make check`).

1. docs/config-keys.tsv has exactly the keys of cfg_keys[] in src/util/config.c.
2. Its defaults are those of config_defaults() (and, for "Kconfig NAME (value)",
   the source reads CONFIG_NAME / ENABLE_NAME and Kconfig's default is value).
3. README.md's tables, upki-acme.conf.example and docs/upki-acme.8 are what
   docs/gen-config-docs.py makes now (regenerated into a temporary directory).
4. The man page renders without warnings (groff -man -ww -z).
5. upki-acme.conf.example with every default uncommented passes `$BIN -t`.
6. The module graph in docs/DESIGN.md is what docs/gen-module-graph.py draws now,
   and no two modules use each other (directly or around a loop).
7. docs/commands.tsv names every command, eab subcommand and option the code
   accepts (src/main.c, src/acme/eab_cli.c, src/upki/upki_test.c): no hidden command.
8. tests/upki-sim/README.md names every option, fault mode and fault step of the simulator.
Prints one TAP-style line per rule and what is wrong under a failing one.
Only the standard library; run from anywhere.
  tests/lint/check-docs.py [--root DIR]   check the tree at DIR (default: this one)
"""
import filecmp
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
KCONFIG_RE = re.compile(r"^Kconfig ([A-Z0-9_]+) \((.*)\)$")
GENERATED = ("README.md", "upki-acme.conf.example", "docs/upki-acme.8")


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def tsv_keys():
    rows = []
    for no, line in enumerate(read("docs/config-keys.tsv").split("\n"), 1):
        if line and not line.startswith("#"):
            cols = line.split("\t")
            rows.append((no, cols))
    return rows


def config_table():
    """[(key, field or None)] from cfg_keys[] in src/util/config.c."""
    src = read("src/util/config.c")
    m = re.search(r"cfg_keys\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if m is None:
        return None
    out = []
    for line in m.group(1).split("\n"):
        line = line.split("/*")[0]
        k = re.search(r'"([a-z0-9_]+)"\s*,\s*([A-Za-z_][A-Za-z0-9_]*)', line)
        if k:
            field = k.group(2) if re.match(r"\s*(STR|INT|BOOL)\(", line) else None
            out.append((k.group(1), field, line.strip().split("(")[0]))
    return out


def kconfig_defaults():
    """NAME -> default value as a configuration file writes it (y: yes, n: no)."""
    vals = {}
    for path in glob.glob(os.path.join(ROOT, "**", "Kconfig"), recursive=True):
        if "/build/" in path:
            continue
        name = None
        for line in open(path, encoding="utf-8"):
            m = re.match(r"config\s+([A-Z0-9_]+)", line)
            if m:
                name = m.group(1)
                continue
            m = re.match(r"\s+default\s+(\"[^\"]*\"|\S+)", line)
            if m and name and name not in vals:
                v = m.group(1).strip('"')
                vals[name] = {"y": "yes", "n": "no"}.get(v, v)
    return vals


def source_defaults():
    """field -> ('kconfig', NAME) | ('value', text), from config_defaults()."""
    src = read("src/util/config.c")
    m = re.search(r"\nconfig_defaults\(struct config \*cfg\)\n\{(.*?)\n\}", src, re.S)
    out = {}
    if m is None:
        return None
    for line in m.group(1).split("\n"):
        a = re.match(r"\s*cfg->(\w+)\s*=\s*(.*);", line)
        if a:
            expr = a.group(2).strip()
            k = re.fullmatch(r"(?:CONFIG|ENABLE)_([A-Z0-9_]+)", expr)
            if k:
                out[a.group(1)] = ("kconfig", k.group(1))
            elif re.fullmatch(r"[0-9 *+]+", expr):
                out[a.group(1)] = ("value", str(eval(expr)))
            else:
                out[a.group(1)] = ("unknown", expr)
            continue
        a = re.match(r'\s*snprintf\(cfg->(\w+), sizeof\([^)]*\), "([^"]*)"(.*)\);', line)
        if a:
            if a.group(2) == "%s" and "platform_data_dir()" in a.group(3):
                out[a.group(1)] = ("kconfig", "PLATFORM_DATA_DIR")
            else:
                out[a.group(1)] = ("value", a.group(2))
            continue
        a = re.match(r'\s*config_parse_addr\(&cfg->(\w+)\[0\], "([^"]*)"', line)
        if a:
            out[a.group(1)] = ("value", a.group(2))
    return out


def rule_keys_match():
    table = config_table()
    if not table:
        return ["src/util/config.c: cfg_keys[] not found"]
    code = [k for k, _, _ in table]
    rows = tsv_keys()
    bad = []
    for no, cols in rows:
        if len(cols) != 3 or not all(c.strip() for c in cols):
            bad.append("docs/config-keys.tsv:%d: want key<TAB>default<TAB>meaning" % no)
    doc = [cols[0] for _, cols in rows]
    for k in sorted(set(doc)):
        if doc.count(k) > 1:
            bad.append("docs/config-keys.tsv: key '%s' listed %d times" % (k, doc.count(k)))
    for k in code:
        if k not in doc:
            bad.append("src/util/config.c: key '%s' is not in docs/config-keys.tsv" % k)
    for k in doc:
        if k not in code:
            bad.append("docs/config-keys.tsv: key '%s' is not in cfg_keys[] of "
                       "src/util/config.c" % k)
    return bad


def rule_defaults_match():
    table = config_table() or []
    src = source_defaults()
    if src is None:
        return ["src/util/config.c: config_defaults() not found"]
    kc = kconfig_defaults()
    doc = {cols[0]: cols[1] for _, cols in tsv_keys() if len(cols) == 3}
    bad = []
    for key, field, kind in table:
        if key not in doc:
            continue
        d = doc[key]
        where = "docs/config-keys.tsv: %s: default '%s'" % (key, d)
        m = KCONFIG_RE.match(d)
        s = src.get(field if field else key)
        if s is None:
            want = {"BOOL": "no", "INT": "0"}.get(kind)
            if want is not None and d != want:
                bad.append("%s, but config_defaults() leaves it %s" % (where, want))
            elif want is None and (m or not d.startswith("(")):
                bad.append("%s, but config_defaults() sets none: write (what happens)" % where)
            continue
        if s[0] == "kconfig":
            if not m or m.group(1) != s[1]:
                bad.append("%s, but config_defaults() reads Kconfig %s: write 'Kconfig %s (%s)'"
                           % (where, s[1], s[1], kc.get(s[1], "?")))
            elif kc.get(s[1]) != m.group(2):
                bad.append("%s, but Kconfig's default for %s is '%s'"
                           % (where, s[1], kc.get(s[1])))
        elif s[0] == "value":
            if kind == "BOOL":
                v = "yes" if s[1] not in ("0",) else "no"
            else:
                v = s[1]
            if d != v:
                bad.append("%s, but config_defaults() sets '%s'" % (where, v))
        else:
            bad.append("%s: config_defaults() sets '%s', which this check cannot read"
                       % (where, s[1]))
    return bad


def rule_generated_current():
    bad = []
    tmp = tempfile.mkdtemp(prefix="check-docs.")
    try:
        r = subprocess.run([sys.executable, os.path.join(ROOT, "docs/gen-config-docs.py"),
                            "--out", tmp], capture_output=True, text=True)
        if r.returncode != 0:
            return ["docs/gen-config-docs.py failed: " + (r.stderr or r.stdout).strip()]
        for rel in GENERATED:
            mine = os.path.join(ROOT, rel)
            if not os.path.exists(mine):
                bad.append("%s: missing: run docs/gen-config-docs.py" % rel)
            elif not filecmp.cmp(mine, os.path.join(tmp, rel), shallow=False):
                bad.append("%s: stale: run docs/gen-config-docs.py and commit the result" % rel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return bad


def rule_man_renders():
    if shutil.which("groff") is None:
        return ["groff is missing (Debian groff-base, installed by make deps-test)"]
    r = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(ROOT, "docs/upki-acme.8")],
                       capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    if r.returncode != 0 or out:
        return ["docs/upki-acme.8: groff -man -ww -z: " + (out or "exit %d" % r.returncode)]
    return []


def rule_example_accepted():
    binary = os.environ.get("BIN") or os.path.join(os.environ.get("O", "build/host"),
                                                   "upki-acme")
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        return ["%s: not built (make all first)" % binary]
    lines = []
    for line in read("upki-acme.conf.example").split("\n"):
        m = re.match(r"#([a-z0-9_]+) = (.+)$", line)
        if m:
            lines.append("%s = %s" % (m.group(1), m.group(2)))
    fd, path = tempfile.mkstemp(prefix="check-docs.", suffix=".conf")
    try:
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([binary, "-t", "-c", path], capture_output=True, text=True)
    finally:
        os.unlink(path)
    if r.returncode != 0:
        return ["upki-acme.conf.example with its defaults uncommented is refused: "
                + (r.stderr or r.stdout).strip().replace(path, "(example)")]
    return []


def rule_module_graph():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "docs/gen-module-graph.py"),
                        "--print"], capture_output=True, text=True)
    if r.returncode != 0:
        return ["docs/gen-module-graph.py failed: " + (r.stderr or r.stdout).strip()]
    text = read("docs/DESIGN.md")
    begin, end = "<!-- module-graph begin -->", "<!-- module-graph end -->"
    i, j = text.find(begin), text.find(end)
    if i < 0 or j < i:
        return ["docs/DESIGN.md: markers %s / %s missing" % (begin, end)]
    bad = []
    body = text[i + len(begin):j].split("\n", 2)
    if len(body) < 3 or body[2] != r.stdout:
        bad.append("docs/DESIGN.md: the module graph is stale: run docs/gen-module-graph.py "
                   "and commit the result")
    for line in r.stdout.split("\n"):
        if line.startswith("Cycles between modules:") and not line.endswith(": none."):
            bad.append("src/: " + line + " (the graph must read top to bottom)")
    return bad


def rule_commands_documented():
    doc = read("docs/commands.tsv")
    words = set(re.findall(r"\S+", doc))
    main_c = read("src/main.c")
    eab_c = read("src/acme/eab_cli.c")
    test_c = read("src/upki/upki_test.c")
    bad = []
    for w in sorted(set(re.findall(r'strcmp\(argv\[optind\], "([a-z0-9-]+)"\)', main_c))):
        if w not in words:
            bad.append("src/main.c: command '%s' is not in docs/commands.tsv" % w)
    for w in sorted(set(re.findall(r'strcmp\(argv\[0\], "([a-z0-9-]+)"\)', eab_c))):
        if "eab " + w not in doc:
            bad.append("src/acme/eab_cli.c: 'eab %s' is not in docs/commands.tsv" % w)
    for f, text in (("src/acme/eab_cli.c", eab_c), ("src/upki/upki_test.c", test_c)):
        for o in sorted(set(re.findall(r'strcmp\(argv\[[^]]*\], "(--[a-z0-9-]+)"\)', text))):
            if not re.search(re.escape(o) + r"(?![a-z0-9-])", doc):
                bad.append("%s: option %s is not in docs/commands.tsv" % (f, o))
    m = re.search(r'getopt\(argc, argv, "\+?([^"]*)"\)', main_c)
    for letter in (m.group(1).replace(":", "") if m else ""):
        if not re.search(r"(?<![a-z0-9-])-" + letter + r"(?![a-z0-9-])", doc):
            bad.append("src/main.c: option -%s is not in docs/commands.tsv" % letter)
    return bad


def rule_sim_documented():
    doc = read("tests/upki-sim/README.md")
    bad = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/upki-sim/*.c"))):
        rel = os.path.relpath(path, ROOT)
        text = read(rel)
        for o in re.findall(r'\{ "([a-z0-9-]+)", (?:required|no|optional)_argument', text):
            if not re.search(r"--" + re.escape(o) + r"(?![a-z0-9-])", doc):
                bad.append("%s: option --%s is not in tests/upki-sim/README.md" % (rel, o))
        for m in re.findall(r'\[SIM_F_[A-Z0-9_]+\] = "([a-z0-9_]+)"', text):
            if "`%s`" % m not in doc:
                bad.append("%s: fault mode '%s' is not in tests/upki-sim/README.md" % (rel, m))
        for st in re.findall(r'\{ "([a-z]+)", "/[A-Za-z0-9_]+\.do" \}', text):
            if "`%s`" % st not in doc:
                bad.append("%s: fault step '%s' is not in tests/upki-sim/README.md" % (rel, st))
    return bad


def main():
    global ROOT
    if len(sys.argv) == 3 and sys.argv[1] == "--root":
        ROOT = os.path.abspath(sys.argv[2])
    fails = 0
    for name, fn in (("config-keys.tsv lists the keys of config.c", rule_keys_match),
                     ("config-keys.tsv defaults are config.c's and Kconfig's",
                      rule_defaults_match),
                     ("generated docs are current", rule_generated_current),
                     ("the man page renders without warnings", rule_man_renders),
                     ("the example configuration is accepted", rule_example_accepted),
                     ("the module graph in docs/DESIGN.md is current and acyclic",
                      rule_module_graph),
                     ("docs/commands.tsv names every command and option",
                      rule_commands_documented),
                     ("tests/upki-sim/README.md names every option and fault",
                      rule_sim_documented)):
        bad = fn()
        for b in bad:
            print("# " + b)
        print(("not ok " if bad else "ok ") + name)
        fails += bool(bad)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
