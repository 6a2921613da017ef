"""E-mail channel: IMAP intake, parsing, loop guards, SMTP sending (built in a later issue)."""
