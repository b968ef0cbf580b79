http-y := src/http/server.c src/http/conn.c src/http/req_parse.c src/http/reply.c src/http/client.c src/http/resp_parse.c
http-deps := tls x509
