"""The Discord face of newsbot: a thin discord.py client that loads one Cog per feature,
over :class:`bot.service.NewsService`. Not named ``discord``, so nothing shadows discord.py.

Usage::

    from bot.config import Settings
    from bot.service import NewsService
    from bot.chat.run import run_bot
    raise SystemExit(run_bot(NewsService(Settings())))     # what `newsbot run` does

    # in tests (simcord, or any event loop of your own):
    from bot.chat.client import NewsBot
    bot = NewsBot(service, warm_up=False)

The modules, each with one job:

- :mod:`bot.chat.run` starts the client (logging, signals, exit codes); :mod:`bot.chat.client`
  is the client itself (sharding, start-up, command sync, loading the cogs).
- The cogs, one per feature: :mod:`~bot.chat.asking` (``/ask``, mentions, replies to
  answers, answer channels), :mod:`~bot.chat.companies` (``/company``),
  :mod:`~bot.chat.sources` (``/sources``), :mod:`~bot.chat.articles` (``/article add|remove``,
  ``/reindex``) and :mod:`~bot.chat.feeds` (``/feed add|remove|list``, the poll loop and
  its announcements).
- Their helpers: :mod:`~bot.chat.permissions` (admin-only), :mod:`~bot.chat.ratelimit`,
  :mod:`~bot.chat.feedback` (the vote store) and :mod:`~bot.chat.votes` (its buttons),
  :mod:`~bot.chat.render` (embeds within Discord's limits), :mod:`~bot.chat.replies`
  (acknowledging, private replies, errors with a reference), :mod:`~bot.chat.progress`,
  :mod:`~bot.chat.choices` (autocomplete; uploads are checked by :func:`index.intake.check_upload`),
  :mod:`~bot.chat.workers` (the engine's threads) and :mod:`~bot.chat.logs` (token redaction).

Every message goes out with ``AllowedMentions.none()``.
"""
