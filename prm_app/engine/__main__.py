from prm_app.engine.cli import main

raise SystemExit(main())
