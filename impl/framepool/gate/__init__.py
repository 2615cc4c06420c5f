"""``framepool verify``, the CI gate, in pieces (one concept per module).

* ``profiles``: the budgets of ``--profile quick|ci|deep``.
* ``inputs``: what is validated before anything runs (``--factory``, ``--fixtures``,
  ``--json``); :class:`~framepool.gate.inputs.GateError` is exit status 2.
* ``storage``: Hypothesis' example database, in the user's cache directory.
* ``context``: what a check is given, and what a check is.
* ``sequential``, ``concurrent``, ``evm``: the checks.
* ``report``: progress lines, verdicts, exit status, the ``--json`` report.
* ``runner``: ``run_verify(args)``, the command.

Modules are imported on use: ``framepool.gate.profiles`` is light enough for the CLI parser.
"""
