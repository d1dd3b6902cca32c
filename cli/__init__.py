"""The ``textemb`` command line (installed as the ``textemb_cli`` package)."""
