http-y := src/http/server.c
http-deps := tls x509
