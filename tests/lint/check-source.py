#!/usr/bin/env python3
"""Source rules no compiler checks, run by `make check` (tests/run-all lint).

1. A string literal passed with a hand-counted length ("ok\\n", 3) is refused:
   use STR_LIT("ok\\n") from util/str.h. A hand count once sent the NUL of a
   problem document and read one byte past the literal.
2. No tracked file points outside the repository (the sibling design folder,
   a machine path):
   a clone has neither.
3. Client command lines (tests, the demo, docs) pass EAB key ids and HMAC
   keys as --flag=value: a base64url value may begin with "-", and then
   certbot and lego take it for an option ("expected one argument").
Prints one TAP-style line per rule, and file:line for each breach.
"""
import re
import subprocess
import sys

def tracked(*globs):
    out = subprocess.check_output(["git", "ls-files", "--", *globs]).decode()
    return [f for f in out.split("\n") if f]

def lit_bytes(body):
    return bytes(body, "utf-8").decode("unicode_escape").encode("latin-1")

def rule_literal_length():
    pat = re.compile(r'("(?:[^"\\\n]|\\.)*")\s*,\s*(\d+)\s*\)')
    bad = []
    for f in tracked("src/*.c", "src/*.h", "platform/*.c", "tests/upki-sim/*.c"):
        for no, line in enumerate(open(f, encoding="utf-8"), 1):
            if line.lstrip().startswith(("*", "/*", "//")):
                continue
            for m in pat.finditer(line):
                n = int(m.group(2))
                try:
                    ln = len(lit_bytes(m.group(1)[1:-1]))
                except UnicodeDecodeError:
                    ln = -10
                if n > 0 and abs(n - ln) <= 2:
                    bad.append("%s:%d: literal with a hand-counted length %d (is %d): use STR_LIT()"
                               % (f, no, n, ln))
    return bad

def rule_outside_paths():
    bad = []
    # Built from pieces, so that this file does not name them itself.
    pat = re.compile(r"\.\./" + "shared" + "|/" + "work/|/" + "farm/")
    for f in tracked():
        if f.startswith(".ci/"):
            continue
        try:
            text = open(f, encoding="utf-8", errors="replace").read()
        except (IsADirectoryError, FileNotFoundError):
            continue
        for no, line in enumerate(text.split("\n"), 1):
            if pat.search(line):
                bad.append("%s:%d: points outside the repository: %s" % (f, no, line.strip()[:80]))
    return bad

def rule_eab_flag_value():
    bad = []
    pat = re.compile(r"--(eab-hmac-key|eab-kid|hmac|kid)\s+[\"'$]")
    for f in tracked("tests/*.sh", "platform/*", "bench/*", "*.md", "docs/*"):
        try:
            text = open(f, encoding="utf-8", errors="replace").read()
        except (IsADirectoryError, FileNotFoundError):
            continue
        for no, line in enumerate(text.split("\n"), 1):
            if pat.search(line):
                bad.append("%s:%d: an EAB value as a separate word: write --flag=value" % (f, no))
    return bad

def main():
    fails = 0
    for name, fn in (("no hand-counted literal lengths", rule_literal_length),
                     ("no paths outside the repository", rule_outside_paths),
                     ("EAB values passed as --flag=value", rule_eab_flag_value)):
        bad = fn()
        for b in bad:
            print("# " + b)
        print(("not ok " if bad else "ok ") + name)
        fails += bool(bad)
    return 1 if fails else 0

if __name__ == "__main__":
    sys.exit(main())
