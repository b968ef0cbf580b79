json-y := src/json/json.c src/json/json_get.c src/json/json_write.c
json-deps :=
