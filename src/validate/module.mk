# Domain validation. resolver.c: c-ares on the event loop; resolver_parse.c: its
# pure DNS reply parser (also built into tests/fuzz/fuzz_dns_caa.c).
validate-y := src/validate/validator.c src/validate/resolver.c src/validate/resolver_parse.c src/validate/http01.c
validate-y += src/validate/caa.c src/validate/caa_parse.c
validate-y += src/validate/netfilter.c src/validate/http01_url.c
validate-y += src/validate/dns01.c
validate-deps := http tls x509
validate-y += src/validate/tlsalpn01.c
