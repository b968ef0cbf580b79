json-y := src/json/json.c
json-deps :=
