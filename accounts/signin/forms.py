"""Forms of the sign-in pages: shape only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Client


class IdentifierForm(forms.Form):
    identifier = forms.CharField(max_length=254, strip=True)

    def __init__(self, *args: Any, client: Client | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = client.login_identifiers if client else Client.LoginIdentifiers.PHONE_EMAIL
        self.offers: list[str] = {
            Client.LoginIdentifiers.PHONE_EMAIL: ["phone", "email"],
            Client.LoginIdentifiers.EMAIL_PHONE: ["email", "phone"],
            Client.LoginIdentifiers.PHONE: ["phone"],
            Client.LoginIdentifiers.EMAIL: ["email"],
        }[Client.LoginIdentifiers(options)]
        self.fields["identifier"].label = {
            ("phone", "email"): _("Mobile number or email"),
            ("email", "phone"): _("Email or mobile number"),
            ("phone",): _("Mobile number"),
            ("email",): _("Email"),
        }[tuple(self.offers)]
        self.fields["identifier"].error_messages["required"] = _(
            "Enter your mobile number or email."
        )


class StayForm(forms.Form):
    """A final step of signing in: it may carry the "stay signed in" box."""

    stay = forms.BooleanField(required=False, label=_("Stay signed in"))


class PasswordForm(StayForm):
    password = forms.CharField(
        label=_("Password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    field_order = ["password", "stay"]


class PinForm(StayForm):
    pin = forms.CharField(label=_("Code"), max_length=16, strip=True)
    field_order = ["pin", "stay"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pin"].error_messages["required"] = _("Enter the code from the SMS.")


class NewPasswordMixin(forms.Form):
    password = forms.CharField(
        label=_("Choose a password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, max_length=1024, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "password" in data and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class NewPasswordForm(NewPasswordMixin):
    pass


class SignUpForm(StayForm):
    name = forms.CharField(label=_("Your name"), max_length=200, strip=True)
    password = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        max_length=1024,
        required=False,
        widget=forms.PasswordInput,
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        max_length=1024,
        required=False,
        widget=forms.PasswordInput,
    )
    terms = forms.BooleanField(label=_("I accept the terms of use"))
    field_order = ["name", "password", "password2", "terms", "stay"]

    def __init__(self, *args: Any, password_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_required = password_required
        if not password_required:
            del self.fields["password"], self.fields["password2"]
        else:
            self.fields["password"].required = self.fields["password2"].required = True
        self.fields["name"].error_messages["required"] = _("Enter your name.")
        self.fields["terms"].error_messages["required"] = _(
            "Accept the terms of use to create an account."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.password_required and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class EmailForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254, strip=True)


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=32, strip=True)
