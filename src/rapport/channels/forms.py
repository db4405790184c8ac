"""Adding a channel from the web: kind, name, and that kind's config/secret fields."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.channels.registry import channel_classes

HIDDEN_KINDS = {"fake"}


def addable_kinds() -> dict[str, Any]:
    return {k: c for k, c in sorted(channel_classes().items()) if k not in HIDDEN_KINDS}


class AddChannelForm(forms.Form):
    kind = forms.ChoiceField()
    name = forms.CharField(max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = addable_kinds()
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)  # declared above
        kind_field.choices = [(k, c.label or k) for k, c in kinds.items()]
        for kind, cls in kinds.items():
            for name in cls.config_fields:
                self.fields.setdefault(
                    f"config_{name}", forms.CharField(required=False, label=f"{name} ({kind})")
                )
            for name in cls.secret_fields:
                self.fields.setdefault(
                    f"secret_{name}",
                    forms.CharField(
                        required=False,
                        label=f"{name} ({kind}, stored encrypted)",
                        widget=forms.PasswordInput(render_value=False),
                    ),
                )

    def config_and_secrets(self) -> tuple[dict[str, str], dict[str, str]]:
        cls = channel_classes()[self.cleaned_data["kind"]]
        data = self.cleaned_data
        config = {
            n: data.get(f"config_{n}", "") for n in cls.config_fields if data.get(f"config_{n}")
        }
        secrets = {
            n: data.get(f"secret_{n}", "") for n in cls.secret_fields if data.get(f"secret_{n}")
        }
        return config, secrets


class ReconnectForm(forms.Form):
    """New secrets for a channel that needs reconnecting."""

    def __init__(self, *args: Any, secret_fields: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in secret_fields:
            self.fields[f"secret_{name}"] = forms.CharField(
                label=name, widget=forms.PasswordInput(render_value=False)
            )

    def secrets(self) -> dict[str, str]:
        return {k.removeprefix("secret_"): v for k, v in self.cleaned_data.items()}
