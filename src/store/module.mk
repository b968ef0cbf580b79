store-y := src/store/store.c src/store/rec.c src/store/records.c
store-deps :=
