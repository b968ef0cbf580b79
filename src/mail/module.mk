# Mail: UPKI's issuance mails. mime.c, cms.c, upki_mail.c: pure, bounded
# parsers and the S/MIME verification (issue 19 item 2).
mail-y += src/mail/mime.c src/mail/mime_hdr.c src/mail/cms.c src/mail/upki_mail.c src/mail/mail_cmd.c
mail-deps := upki http tls x509 store
