"""The office side as plain use-case functions that web views and CLI commands both call.

Accounts, the staff desk, dossier imports and the dossier API, kiosks, the flow editor, agency
settings, API keys, the audit log, reports for staff and the report commands.
"""
