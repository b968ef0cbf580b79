acme-y := src/acme/acme.c src/acme/directory.c src/acme/problem.c
acme-deps := http tls store jose json x509
