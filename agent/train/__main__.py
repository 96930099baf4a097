from agent.train.train import main

raise SystemExit(main())
