mail-y := src/mail/smtp.c src/mail/smtp_server.c src/mail/mail_cli.c
mail-deps := store tls x509
