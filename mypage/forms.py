"""Forms of the portal: shape only; the services of accounts decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False, strip=True)
    birthdate = forms.DateField(
        label=_("Birth date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date as year-month-day, e.g. 1990-05-17.")},
    )
    language = forms.ChoiceField(label=_("Language"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = list(settings.LANGUAGES)


class PasswordChangeForm(forms.Form):
    current = forms.CharField(
        label=_("Current password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password = forms.CharField(
        label=_("New password"), strip=False, max_length=1024, widget=forms.PasswordInput
    )
    password2 = forms.CharField(
        label=_("Repeat the new password"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput,
    )

    def __init__(self, *args: Any, has_password: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_password:
            del self.fields["current"]
        self.fields["password"].error_messages["required"] = _("Choose a password.")
        self.fields["password2"].error_messages["required"] = _("Type the password again.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class AddEmailForm(forms.Form):
    email = forms.EmailField(label=_("New email address"), max_length=254)


class AddPhoneForm(forms.Form):
    phone = forms.CharField(label=_("New mobile number"), max_length=32, strip=True)


class PinForm(forms.Form):
    pin = forms.CharField(label=_("Code from the SMS"), max_length=16, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pin"].error_messages["required"] = _("Enter the code from the SMS.")


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: my account and everything in it are deleted for good."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
