# Mail: UPKI's issuance mails. smtp.c, smtp_server.c: the receive-only SMTP
# server on the reactor (issue 19 item 1), mail_cli.c: `mail list/show`;
# mime.c, cms.c, upki_mail.c: pure, bounded parsers and the S/MIME
# verification (issue 19 item 2), mail_cmd.c: `mail-check`.
mail-y := src/mail/smtp.c src/mail/smtp_server.c src/mail/mail_cli.c
mail-y += src/mail/mime.c src/mail/mime_hdr.c src/mail/cms.c src/mail/upki_mail.c src/mail/mail_cmd.c
mail-deps := upki http tls x509 store
