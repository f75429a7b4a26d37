"""Reset: a run that failed because of a bug, fixed by a deploy plus a reset (docs/reset.md).

    buggy  the release in production: it computes the refund's amount wrong (cents times 100),
           the payment service refuses it, and the run fails
    fixed  the release with the fix; `goblins workflow reset` starts the failed run again from
           the point before the refund, so the order is not looked up nor the customer told twice

goblins server
goblins worker examples.refund.buggy
goblins workflow start refund --id refund-17 --input '"order-17"' --input '"ledger.txt"' --wait
# fails: the refund of 420000 cents exceeds order-17's total of 4200
# deploy: stop the buggy worker, start `goblins worker examples.refund.fixed`, then:
goblins workflow show refund-17                       # step 8: the customer was told
goblins workflow reset refund-17 --to-step 8 --reason "refund amount fixed"
goblins workflow result refund-17                     # "refunded 4200 cents for order-17"
"""
