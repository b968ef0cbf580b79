util-y := src/util/err.c src/util/log.c src/util/arena.c src/util/buf.c src/util/b64.c \
          src/util/config.c src/util/timefmt.c src/util/str.c src/util/file.c
util-deps :=
