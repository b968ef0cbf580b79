# UPKI backend. The JIS X 0208 table is generated at build time from Python's
# codecs (src/upki/gen-jis-table.py); the generated file is never edited or committed.
upki-gen := $(O)/gen/upki/jis0208_table.c

upki-y := src/upki/upki_profile.c src/upki/sjis.c $(upki-gen) \
          src/upki/tsv_write.c src/upki/tsv_bulk.c src/upki/tsv_bulk_row.c \
          src/upki/result_page.c \
          src/upki/backend.c src/upki/core.c src/upki/dn.c src/upki/job.c src/upki/upload.c src/upki/session.c src/upki/addrs.c src/upki/html_text.c src/upki/poll.c \
          src/upki/chain.c src/upki/upki_test.c
upki-deps := http tls x509 store validate

$(upki-gen): src/upki/gen-jis-table.py
	@mkdir -p $(dir $@)
	$(PY) $< > $@.tmp
	mv $@.tmp $@
