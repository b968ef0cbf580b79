http-y := src/http/server.c src/http/client.c src/http/resp_parse.c
http-deps := tls x509
