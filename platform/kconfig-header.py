#!/usr/bin/python3
"""Write the C view of a .config: CONFIG_X for every set int/hex/string/bool
symbol, ENABLE_X (0/1) and IF_X(...)/IF_NOT_X(...) for every bool symbol.

usage: kconfig-header.py Kconfig .config out.h
"""
import os
import sys

import kconfiglib


def main():
    kconf_path, config_path, out_path = sys.argv[1:4]
    kconf = kconfiglib.Kconfig(kconf_path, warn_to_stderr=False)
    kconf.load_config(config_path)
    lines = ["/* Generated from %s by platform/kconfig-header.py: do not edit. */" % config_path,
             "#ifndef UPKI_AUTOCONF_H", "#define UPKI_AUTOCONF_H"]
    for sym in kconf.unique_defined_syms:
        name = sym.name
        val = sym.str_value
        if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            on = val in ("y", "m")
            if on:
                lines.append("#define CONFIG_%s 1" % name)
            lines.append("#define ENABLE_%s %d" % (name, 1 if on else 0))
            lines.append("#define IF_%s(...) %s" % (name, "__VA_ARGS__" if on else ""))
            lines.append("#define IF_NOT_%s(...) %s" % (name, "" if on else "__VA_ARGS__"))
        elif sym.orig_type == kconfiglib.STRING:
            if sym.visibility or sym.str_value:
                esc = val.replace("\\", "\\\\").replace('"', '\\"')
                lines.append('#define CONFIG_%s "%s"' % (name, esc))
        elif sym.orig_type in (kconfiglib.INT, kconfiglib.HEX):
            if val:
                lines.append("#define CONFIG_%s %s" % (name, val))
    lines.append("#endif")
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, out_path)


if __name__ == "__main__":
    main()
