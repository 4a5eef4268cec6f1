"""The sign-in, sign-up and password reset pages behind /oauth/authorize (spec §1.1, §2.2-2.5)."""
