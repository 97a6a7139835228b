"""The pure core: vocabulary, calendar, rules, records, deadline, SLA stages, notice policy, report
figures and wording. Functions of plain data that take ``now`` and the calendar as arguments; they
never read the clock, the environment, files, the database or the network. Imports only the
standard library, ``holidays`` and ``slamon.core`` (kept true by tests/test_layers.py)."""
