"""Proofs about the frame pool: CrossHair contracts (``proofs.contracts``) and a bounded
model checker (``proofs.model_check``) that runs every short operation sequence on the
reference model and the pool in lockstep."""
