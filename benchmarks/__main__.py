import sys

from benchmarks.runner import main

if sys.argv[1:2] == ["chaos"]:
    from benchmarks import chaos

    sys.exit(chaos.main(sys.argv[2:]))
sys.exit(main())
