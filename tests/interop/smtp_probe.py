#!/usr/bin/env python3
"""Opens an SMTP session from a given source address and prints the reply to RCPT TO.

Usage: smtp_probe.py SOURCE DESTINATION. Prints "CODE text" (e.g. "450 4.7.25 Client host
rejected: cannot find your hostname") or "ERROR what". Postfix evaluates
smtpd_client_restrictions at RCPT TO (smtpd_delay_reject = yes), after the client's reverse
and forward lookups.
"""
import smtplib
import sys


def main(src, dst):
    try:
        s = smtplib.SMTP(timeout=60, source_address=(src, 0))
        s.connect(dst, 25)
        s.ehlo("client.example")
        code, msg = s.mail("sender@client.example")
        if code < 400:
            code, msg = s.rcpt("postmaster@localhost")
        print(code, msg.decode(errors="replace").replace("\n", " "))
        try:
            s.quit()
        except smtplib.SMTPException:
            pass
    except (OSError, smtplib.SMTPException) as e:
        print("ERROR", e)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
