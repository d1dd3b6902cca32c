"""python -m textemb_cli: the textemb command."""
from textemb_cli.main import main

raise SystemExit(main())
