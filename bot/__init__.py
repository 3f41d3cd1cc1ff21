"""newsbot's question side: the answer engine, the one service both faces call, and the two
faces — the terminal (``bot.cli``, ``bot.render``, ``bot.doctor``) and Discord. Settings are
``bot.config``. Nothing in ``index/`` imports this package.

Usage::

    from bot.config import load_settings
    from bot.service import NewsService
    service = NewsService(load_settings())
    print(service.ask("Did Hyundai confirm the plant deal?").answer)

    python -m bot.cli ask "Did Hyundai confirm the plant deal?"      # the `newsbot` command
"""
