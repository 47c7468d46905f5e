import io

from click.testing import CliRunner

from moderator.cli import main
from moderator.terminal import SafeStream, protect_terminal, terminal_text

HOSTILE = ("hi \x1b]0;pwned title\x07there \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ "
           "\x1b]52;c;ZXZpbA==\x07copied \x1b[2J\x1b[31mred\x1b[0m \u202emoc.live\u202c "
           "\x9b31mc1 \x9d0;t\x9cosc \x85nel \x00nul\nsecond line\tand a tab")
BAD = ["\x1b", "\x07", "\x9b", "\x9c", "\x9d", "\x85", "\x00", "\u202e", "\u202c", "pwned",
       "ZXZpbA", "evil.example"]


def test_terminal_text_drops_sequences_and_controls_but_keeps_meant_newlines():
    clean = terminal_text(HOSTILE)
    assert not [b for b in BAD if b in clean], clean
    assert clean == ("hi there click copied red moc.live c1 osc nel nul\nsecond line\tand a tab")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_stream_is_wrapped_and_a_pipe_is_not():
    terminal, pipe = Terminal(), io.StringIO()
    wrapped = protect_terminal(terminal)
    assert isinstance(wrapped, SafeStream) and protect_terminal(wrapped) is wrapped
    assert protect_terminal(pipe) is pipe  # a pipe or a file gets the data as it is
    wrapped.write("progress: 5\r" + HOSTILE)
    assert terminal.getvalue().startswith("progress: 5\rhi there click")
    assert not [b for b in BAD if b in terminal.getvalue()]


def test_review_list_and_show_never_pass_escapes_to_the_terminal(tmp_path):
    (tmp_path / "in.jsonl").write_text(
        '{"id": "c1", "text": ' + __import__("json").dumps("check out my channel " + HOSTILE)
        + ', "author": {"handle": "\\u001b]0;x\\u0007bob\\u202e"}}\n')
    cfg = tmp_path / "m.toml"
    cfg.write_text('[[rules.custom]]\nname = "promo"\nseverity = "medium"\n'
                   'words = ["my channel"]\n'
                   '[[accounts]]\nname = "a"\nplatform = "file"\npath = "in.jsonl"\n')
    runner = CliRunner()
    assert runner.invoke(main, ["--config", str(cfg), "backfill"]).exit_code == 0
    listed = runner.invoke(main, ["--config", str(cfg), "review", "list"])
    shown = runner.invoke(main, ["--config", str(cfg), "review", "show", "1"])
    assert listed.exit_code == 0 and shown.exit_code == 0, shown.output
    for output in (listed.stdout, shown.stdout):
        assert not [b for b in BAD if b in output], output
    assert "second line" in shown.stdout and "\n  second line" in shown.stdout  # kept, indented
    assert "bob" in listed.stdout and "moc[.]live" in shown.stdout
