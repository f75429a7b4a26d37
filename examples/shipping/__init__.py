"""Versioning: one workflow, ``shipping``, changed under running runs in three deploys
(docs/versioning.md walks through them).

    v1  the code in production: print a label, wait for the pick-up, notify
    v2  deploy 1, patch:     new runs buy the label from the carrier's API; old runs keep printing
    v3  deploy 2, deprecate: no run of v1 is open any more; the old branch goes
    v4  deploy 3, remove:    the patch call goes too

goblins server
goblins worker examples.shipping.v1
goblins workflow start shipping --input '"o-1"'      # waits for the pick-up
goblins replay examples.shipping.v2 --server localhost:9075   # the deploy gate: 0, compatible
# stop the v1 worker, start `goblins worker examples.shipping.v2`, then:
goblins workflow signal RUN_ID picked_up
goblins workflow result RUN_ID    # "o-1 shipped with printed-label-o-1": the old branch
"""
