"""``python -m pbxlab`` runs the command line."""

from pbxlab.cli.app import entry_point

entry_point()
