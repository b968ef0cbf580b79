acme-y := src/acme/acme.c src/acme/directory.c src/acme/problem.c src/acme/nonce.c \
          src/acme/request.c src/acme/account.c src/acme/eab_cli.c
acme-deps := http tls store jose json x509
