"""What every TAF room shares and nothing else: the root of the error hierarchy and the progress model.

It imports nothing from TAF, so `tape` and `ledger` (which import no other room) may use it too.
"""
