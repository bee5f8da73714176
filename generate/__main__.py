from generate.cli import main

raise SystemExit(main())
