"""The command words: each starts its own dialog, looked up in an index built once."""

from __future__ import annotations

from dialogs.commands import all_dialogs, find_dialog, split_command


def test_every_word_and_name_finds_its_dialog_every_time() -> None:
    for _ in range(2):  # the index is built on the first look-up and kept
        for dialog in all_dialogs():
            for word in (dialog.name, *dialog.words):
                found = find_dialog(f"  {word.upper()} ")
                assert found is not None and found.name == dialog.name, word
    assert find_dialog("no such command") is None


def test_the_longest_known_command_is_split_off() -> None:
    assert split_command("/Report Absence AP-7K3Q") == ("report absence", "AP-7K3Q")
    assert split_command("absent ap-7k3q today") == ("absent", "ap-7k3q today")
    assert split_command("nonsense words") == ("nonsense", "words")
    assert split_command("") == ("", "")
