/*
 * mail_cmd.h: `upki-acme [-c FILE] mail-check MAIL...`, the operator's (and the
 * tests') view of mail/upki_mail.h: each saved message is checked as the
 * receiver would check it, against upki_mail_ca, upki_mail_from and
 * upki_download_url, and the verdict is printed. Nothing is stored or fetched.
 */
#ifndef MAIL_MAIL_CMD_H
#define MAIL_MAIL_CMD_H

struct config;

/*
 * argv[0..argc) are message files. Prints per file "FILE: ok serial=S url=U"
 * then "  subject=..., signer=...", or "FILE: refused REASON". Exit status: 0
 * when every mail is proven, 1 when one is refused or unreadable, 2 for usage
 * or configuration errors (no upki_mail_ca, an unreadable anchor file).
 */
int mail_check_cmd(const struct config *cfg, int argc, char **argv);

#endif
