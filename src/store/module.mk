store-y := src/store/store.c src/store/store_open.c src/store/store_stat.c src/store/rec.c \
	src/store/records_codec.c src/store/records_idx.c src/store/records_eab.c src/store/records.c src/store/records_join.c \
	src/store/records_sweep.c src/store/records_life.c src/store/records_mail.c
store-deps :=
