acme-y := src/acme/acme.c src/acme/directory.c src/acme/problem.c src/acme/nonce.c \
          src/acme/request.c src/acme/account.c src/acme/eab_cli.c \
          src/acme/ident.c src/acme/order.c src/acme/order_view.c src/acme/authz.c src/acme/finalize.c src/acme/cert.c \
          src/acme/keychange.c src/acme/revoke.c src/acme/renewal.c src/acme/sweep.c src/acme/limits.c
acme-deps := validate http tls store jose json x509
