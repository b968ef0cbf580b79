tls-y := src/tls/engine.c src/tls/pem_load.c src/tls/server.c src/tls/client.c src/tls/conn.c src/tls/bootstrap.c src/tls/cache.c src/tls/capture.c src/tls/tls_error.c
tls-y += src/tls/noverify.c
tls-y += src/tls/alpn.c
tls-deps := x509
