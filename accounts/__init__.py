"""The identity domain: users, emails, phones, account links, OAuth clients, credentials, audit."""
