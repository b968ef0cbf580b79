#!/usr/bin/python3
"""Expected upload TSV rows for tests/unit/test_upki_tsv.c, written independently
of the C code from the layout in src/upki/upki_profile.h (15 columns, cp932, CRLF).
Run in this directory: ./make-tsv-vectors.py (csr.pem was made with openssl req)."""

csr = "".join(l.strip() for l in open("csr.pem") if l.strip())
dn = "CN=www.example.nagoya-u.ac.jp,O=Nagoya University,L=Nagoya,ST=Aichi,C=JP"


def row(cols):
    cells = [""] * 15
    for k, v in cols.items():
        cells[k - 1] = v
    return ("\t".join(cells) + "\r\n").encode("cp932")


common = {1: dn, 2: "3", 7: csr, 8: "山田 太郎", 9: "名古屋大学 情報連携推進本部",
          10: "taro.yamada@example.nagoya-u.ac.jp", 11: "www.example.nagoya-u.ac.jp",
          12: "nginx 1.24.0",
          13: "www.example.nagoya-u.ac.jp,example.nagoya-u.ac.jp,web.example.nagoya-u.ac.jp"}
open("new.tsv", "wb").write(row(common))
renew = dict(common)
renew[4] = "123456789012345678901234567890"
open("renew.tsv", "wb").write(row(renew))
open("revoke.tsv", "wb").write(row({1: dn, 4: "123456789012345678901234567890", 5: "0",
                                    6: "サーバ廃止のため", 10: "taro.yamada@example.nagoya-u.ac.jp"}))
