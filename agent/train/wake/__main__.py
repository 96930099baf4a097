from agent.train.wake.train import main

raise SystemExit(main())
