jose-y := src/jose/jwk.c src/jose/jws.c
jose-deps := json
