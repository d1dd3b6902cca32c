from textemb_cli.main import main

raise SystemExit(main())
