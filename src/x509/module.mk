x509-y := src/x509/der_read.c src/x509/der_write.c src/x509/pem.c src/x509/name.c \
          src/x509/key.c src/x509/sig.c src/x509/ext.c src/x509/csr.c src/x509/cert.c \
          src/x509/certwrite.c src/x509/csrwrite.c src/x509/selfsigned.c src/x509/digest.c \
          src/x509/acmeid.c
x509-deps :=
