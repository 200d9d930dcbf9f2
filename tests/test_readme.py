"""The README runs as written: every ``python`` block is executed, and every ``mvgraph``
command line of the shell blocks (also as ``torchrun ... -m mvgraph``) is parsed by the
command line's parser."""

import re
import shlex
from pathlib import Path

import pytest

from mvgraph.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_readme_has_examples():
    assert len(blocks("python")) >= 3 and blocks("bash")


@pytest.mark.filterwarnings("ignore::mvgraph.EmptyClustersWarning")
@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs(index):
    code = compile(blocks("python")[index], f"README.md, python block {index}", "exec")
    try:
        exec(code, {"__name__": f"readme_block_{index}"})
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")


def test_command_lines_parse():
    parser = build_parser()
    commands = [line.split("#")[0].strip() for block in blocks("bash")
                for line in block.replace("\\\n", " ").splitlines()]
    launched = [command.split(" -m mvgraph ", 1)[1] for command in commands
                if command.startswith("torchrun ")]  # torchrun ... -m mvgraph ARGS
    commands = [shlex.split(command)[1:] for command in commands
                if command.startswith("mvgraph ")] + [shlex.split(args) for args in launched]
    assert len(commands) >= 8 and len(launched) == 2
    for arguments in commands:
        parser.parse_args(arguments)  # an unknown option or value exits with status 2
