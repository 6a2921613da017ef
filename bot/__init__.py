"""Telegram channel: requester conversation, staff chat, composition root and CLI."""
