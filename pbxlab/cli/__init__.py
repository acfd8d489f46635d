"""The ``pbxlab`` command line (see DESIGN.md, "Command line")."""
