"""The answer engine: a question in, an :class:`~bot.engine.answer.Answer` out, every quote
verbatim from the articles. It knows nothing of Discord or terminals.

Usage::

    from bot.engine.answer import Answerer
    answer = Answerer(kb).ask("hey bot, did hyundai confirm the plant deal?")
    answer.verdict, answer.quotes[0].text      # "no", "A spokesperson for Hyundai rejected ..."

The steps, each its own module: :mod:`~bot.engine.question` (clean-up, answer type, the act
asked about), :mod:`~bot.engine.focus` (names against the knowledge base, spelling,
term weights), :mod:`~bot.engine.evidence` (sentences ranked, the answering one first),
:mod:`~bot.engine.spans` (typed spans), :mod:`~bot.engine.short_answer`,
:mod:`~bot.engine.verdict` with :mod:`~bot.engine.lexicon`, :mod:`~bot.engine.name_vote`,
:mod:`~bot.engine.abstention`, and :mod:`~bot.engine.companies` (company summaries).
"""
