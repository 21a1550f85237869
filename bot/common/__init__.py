"""What every layer of bot/ shares: settings, errors, phone numbers, contact rules, logs, metrics, the database."""
