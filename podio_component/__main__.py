from podio_component.cli import main

raise SystemExit(main())
