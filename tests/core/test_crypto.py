from __future__ import annotations

from rapport.channels.models import Channel


def test_channel_secrets_are_encrypted_at_rest(workspace):
    channel = Channel(workspace=workspace, kind="webhook", name="hook")
    channel.set_secrets({"token": "hunter2-very-secret"})
    channel.save()
    stored = Channel.objects.values_list("secrets_encrypted", flat=True).get(pk=channel.pk)
    assert "hunter2" not in stored
    assert Channel.objects.get(pk=channel.pk).get_secrets() == {"token": "hunter2-very-secret"}
