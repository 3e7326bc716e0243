"""Subcommands of the `edge` console command, one module each."""
