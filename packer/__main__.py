"""`python -m packer`: the `packer` command, where the entry point script is not on PATH."""

from packer.cli import main

main()
