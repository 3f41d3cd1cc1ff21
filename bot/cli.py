"""The ``newsbot`` command: everything the bot does, in a terminal and in scripts.

Usage::

    newsbot ask "Did Hyundai confirm the plant deal?" [--json] [--top-k N]
    newsbot ask --batch questions.jsonl --json
    newsbot [--data-dir DIR] index add PATH_OR_URL... [--json]     # files, folders, http(s):// pages
    newsbot index list|show ID|remove ID|rebuild [--json]
    newsbot companies [--json]; newsbot company NAME [--json]
    newsbot feed add URL [--name N] [--json]; newsbot feed list [--json]; newsbot feed remove ID
    newsbot feed poll [--once] [--all] [--json]     # poll the feeds (forever, or one round)
    newsbot eval --questions FILE [--json]
    newsbot run                                   # the Discord bot; needs DISCORD_TOKEN
    newsbot doctor [--json]                       # what is wrong, and how to fix it

Exit codes: 0 success; 2 a usage or input error; 1 anything else. Errors are one line on
stderr (set NEWSBOT_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input from the user: exit code 2."""


class NewsbotArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exits become our one-line format
        self.print_usage(sys.stderr)
        raise UsageError(message)


def say(message: str) -> None:
    print(f"newsbot: {message}", file=sys.stderr, flush=True)


def emit_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False), flush=True)


# ---------------------------------------------------------------------------- helpers


def make_service(args: argparse.Namespace):
    from bot.config import Settings
    from bot.service import NewsService

    overrides = {"data_dir": Path(args.data_dir)} if getattr(args, "data_dir", None) else {}
    return NewsService(Settings(**overrides))


def progress_bar(description: str, unit: str = "chunk") -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr, driven by (done, total) calls; returns (update, close)."""
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit=unit, file=sys.stderr,
                              mininterval=0.5 if sys.stderr.isatty() else 5.0, dynamic_ncols=True)
        bar["bar"].total = total
        bar["bar"].update(done - bar["bar"].n)  # update(), not refresh(): it honours mininterval in logs

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return update, close


def article_json(row, with_body: bool = False) -> dict:
    data = {"id": row.id, "title": row.title, "source": row.source, "url": row.url,
            "published_at": row.published_at, "author": row.author, "origin": row.origin,
            "added_at": row.added_at}
    if with_body:
        data["body"] = row.body
    return data


# ---------------------------------------------------------------------------- index commands


# A URL, as opposed to a path: a scheme and "//", or a scheme that is never a path.
_URL_ARGUMENT = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:javascript|data|mailto|file):)", re.IGNORECASE)


def is_url_argument(value: str) -> bool:
    return bool(_URL_ARGUMENT.match(value)) and not Path(value).exists()


def cmd_index_add(args: argparse.Namespace) -> int:
    service = make_service(args)
    urls = [p for p in args.paths if is_url_argument(p)]
    paths = [Path(p) for p in args.paths if not is_url_argument(p)]
    update, close = progress_bar("embedding")
    try:
        outcome = service.add_paths(paths, progress=update) if paths else None
        if urls:
            fetched = service.add_urls(urls, progress=update)
            outcome = outcome.merged(fetched) if outcome else fetched
    finally:
        close()
    assert outcome is not None  # argparse requires one argument at least
    if args.json:
        emit_json(outcome.to_dict())
    else:
        report = outcome.report
        for label, items in (("added", report.added), ("replaced", report.replaced)):
            for item in items:
                print(f"{label}: {item.id}  {item.title}  ({item.origin})")
        for item in report.skipped:
            print(f"skipped: {item.id}  {item.title}  ({item.origin}): {item.detail}")
        for rejection in outcome.rejected:
            print(f"rejected: {rejection.file}: {rejection.reason}")
        print(f"{len(report.added)} added, {len(report.replaced)} replaced, {len(report.skipped)} skipped, "
              f"{len(outcome.rejected)} rejected; {report.chunks_added} chunks in {report.seconds:.1f} s")
    return EXIT_OK if outcome.ok else EXIT_FAILURE


def cmd_index_list(args: argparse.Namespace) -> int:
    rows = make_service(args).list_articles()
    if args.json:
        emit_json([article_json(r) for r in rows])
    else:
        for row in rows:
            date = (row.published_at or "")[:10]
            print(f"{row.id}\t{date}\t{row.source}\t{row.title}")
        print(f"{len(rows)} articles", file=sys.stderr)
    return EXIT_OK


def cmd_index_show(args: argparse.Namespace) -> int:
    row = make_service(args).get_article(args.id)
    if row is None:
        raise UsageError(f"no article with id {args.id!r} (see `newsbot index list`)")
    if args.json:
        emit_json(article_json(row, with_body=True))
    else:
        print(row.title)
        for label, value in (("id", row.id), ("source", row.source), ("published", row.published_at),
                             ("url", row.url), ("author", row.author), ("file", row.origin)):
            if value:
                print(f"{label}: {value}")
        print()
        print(row.body)
    return EXIT_OK


def cmd_index_remove(args: argparse.Namespace) -> int:
    removed = make_service(args).remove_article(args.id)
    if args.json:
        emit_json({"id": args.id, "removed": removed})
    if not removed:
        raise UsageError(f"no article with id {args.id!r} (see `newsbot index list`)")
    if not args.json:
        print(f"removed: {args.id}")
    return EXIT_OK


def cmd_index_enrich(args: argparse.Namespace) -> int:
    service = make_service(args)
    count = service.kb.enrich()
    if args.json:
        emit_json({"enriched": count})
    else:
        print(f"enriched {count} articles")
    return EXIT_OK


def cmd_index_rebuild(args: argparse.Namespace) -> int:
    service = make_service(args)
    update, close = progress_bar("re-embedding")
    try:
        report = service.rebuild(progress=update)
    finally:
        close()
    if args.json:
        emit_json({"articles": len(report.added), "chunks": report.chunks_added,
                   "seconds": round(report.seconds, 3)})
    else:
        print(f"rebuilt {len(report.added)} articles, {report.chunks_added} chunks in {report.seconds:.1f} s")
    return EXIT_OK


def cmd_index_export(args: argparse.Namespace) -> int:
    from index.store.cluster.transfer import export_kb

    try:
        report = export_kb(make_service(args).kb, Path(args.file))
    except OSError as exc:
        raise UsageError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    if args.json:
        emit_json({"articles": report.articles, "chunks": report.chunks, "file": args.file})
    else:
        print(f"exported {report.articles} articles ({report.chunks} chunks) to {args.file}")
    return EXIT_OK


def cmd_index_import(args: argparse.Namespace) -> int:
    from bot.service import AddOutcome
    from index.store.cluster.transfer import import_kb

    try:
        report = import_kb(make_service(args).kb, Path(args.file))
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    if args.json:
        emit_json(AddOutcome(report).to_dict())
    else:
        print(f"imported {len(report.added)} articles, replaced {len(report.replaced)}, "
              f"skipped {len(report.skipped)} ({report.chunks_added} chunks) in {report.seconds:.1f} s")
    return EXIT_OK


# ---------------------------------------------------------------------------- feeds


def feed_line(feed) -> str:
    state = f"FAILING ({feed.failures}x)" if feed.last_error else feed.status
    line = f"{feed.id}\t{state}\t{feed.articles_added} articles\t{feed.name}\t{feed.url}"
    if feed.last_error:
        line += f"\n\terror: {feed.last_error}; next try {feed.next_poll_at or 'at the next poll'}"
    return line


def cmd_feed_add(args: argparse.Namespace) -> int:
    from index.feeds import FeedError
    from index.fetch import FetchError

    service = make_service(args)
    try:
        feed = service.add_feed(args.url, args.name)
    except (FeedError, FetchError) as exc:
        say(f"error: cannot follow {args.url}: {exc}")
        return EXIT_FAILURE if getattr(exc, "retryable", False) else EXIT_USAGE
    if args.json:
        emit_json(feed.to_dict())
    else:
        print(f"following feed {feed.id}: {feed.name} ({feed.url}); `newsbot feed poll --once` indexes it now")
    return EXIT_OK


def cmd_feed_list(args: argparse.Namespace) -> int:
    feeds = make_service(args).list_feeds()
    if args.json:
        emit_json([f.to_dict() for f in feeds])
    else:
        for feed in feeds:
            print(feed_line(feed))
        print(f"{len(feeds)} feeds", file=sys.stderr)
    return EXIT_OK


def cmd_feed_remove(args: argparse.Namespace) -> int:
    removed = make_service(args).remove_feed(args.id)
    if args.json:
        emit_json({"id": args.id, "removed": removed})
    if not removed:
        raise UsageError(f"no feed with id {args.id} (see `newsbot feed list`)")
    if not args.json:
        print(f"removed feed {args.id} (its articles stay indexed)")
    return EXIT_OK


def print_poll_report(report, as_json: bool) -> None:
    if as_json:
        emit_json(report.to_dict())
        return
    name = f"feed {report.feed.id} ({report.feed.name})"
    if report.error:
        print(f"{name}: failed: {report.error}; next try {report.feed.next_poll_at}")
    elif report.not_modified:
        print(f"{name}: not modified")
    else:
        print(f"{name}: {report.entries} entries, {len(report.outcomes)} new: {len(report.added_ids)} added, "
              f"{report.count('skipped')} skipped, {report.count('rejected') + report.count('failed')} rejected")
        for outcome in report.outcomes:
            if outcome.status != "added":
                print(f"  {outcome.status}: {outcome.link}: {outcome.detail}")


def cmd_feed_poll(args: argparse.Namespace) -> int:
    service = make_service(args)
    while True:
        reports = service.poll_feeds(only_due=not args.all)
        for report in reports:
            print_poll_report(report, args.json)
        if not args.json:
            print(f"{len(reports)} feeds polled, {sum(len(r.added_ids) for r in reports)} articles added",
                  file=sys.stderr, flush=True)
        if args.once:
            return EXIT_FAILURE if any(r.error for r in reports) else EXIT_OK
        time.sleep(service.settings.feed_interval * 60)


# ---------------------------------------------------------------------------- ask


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.render import answer_text
    from bot.service import QuestionError

    if args.batch and args.question:
        raise UsageError("give either a question or --batch FILE, not both")
    if not args.batch and args.question is None:
        raise UsageError("give a question, e.g. newsbot ask \"Did Hyundai confirm the plant deal?\"")
    service = make_service(args)
    if args.batch:
        return ask_batch(service, Path(args.batch), args)
    try:
        question = args.question
        from bot.service import clean_question

        clean_question(question, service.settings.max_question_chars)
    except QuestionError as exc:
        raise UsageError(str(exc)) from exc
    service.ensure_seeded(notify=say)
    answer = service.ask(question, top_k=args.top_k)
    if args.json:
        emit_json(answer.to_dict())
    else:
        print(answer_text(answer))
    return EXIT_OK


def ask_batch(service, path: Path, args: argparse.Namespace) -> int:
    from bot.service import QuestionError

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    service.ensure_seeded(notify=say)
    status = EXIT_OK
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item_id = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or "question" not in item:
                raise QuestionError("each line must be an object with a \"question\"")
            item_id = item.get("id")
            answer = service.ask(item["question"], top_k=args.top_k)
            result = {"id": item_id, **answer.to_dict()} if args.json else answer
        except (json.JSONDecodeError, QuestionError) as exc:
            status = EXIT_USAGE
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            result = {"id": item_id, "line": number, "error": message}
        if args.json or isinstance(result, dict):
            emit_json(result)
        else:
            from bot.render import answer_text

            print(answer_text(result), end="\n\n")
    return status


# ---------------------------------------------------------------------------- companies


def cmd_companies(args: argparse.Namespace) -> int:
    from bot.render import companies_text

    service = make_service(args)
    service.ensure_seeded(notify=say)
    listings = service.companies()
    if args.json:
        emit_json([asdict(c) for c in listings])
    else:
        print(companies_text(listings))
    return EXIT_OK


def cmd_company(args: argparse.Namespace) -> int:
    from bot.render import company_text

    name = " ".join(args.name.split())
    if not name or len(name) > 200:
        raise UsageError("give a company name of 1 to 200 characters")
    service = make_service(args)
    service.ensure_seeded(notify=say)
    summary = service.company_summary(name)
    if args.json:
        emit_json(summary.to_dict())
    else:
        print(company_text(summary))
    return EXIT_OK


# ---------------------------------------------------------------------------- discord


def cmd_run(args: argparse.Namespace) -> int:
    service = make_service(args)
    if service.settings.discord_token is None or not service.settings.discord_token.get_secret_value().strip():
        raise UsageError("DISCORD_TOKEN is not set: put the bot's token in the environment "
                         "(or run `newsbot ask ...` to use newsbot without Discord)")
    from bot.discord_app import run_bot

    return run_bot(service)


# ---------------------------------------------------------------------------- doctor


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import run_checks

    try:
        service = make_service(args)
    except ValueError:  # the settings do not load: the doctor reports that as its first check
        service = None
    checks = run_checks(service, data_dir=getattr(args, "data_dir", None))
    if args.json:
        emit_json([asdict(c) for c in checks])
    else:
        for check in checks:
            mark = "ok  " if check.ok else "FAIL"
            print(f"[{mark}] {check.name}: {check.detail}")
            if not check.ok and check.fix:
                print(f"       fix: {check.fix}")
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILURE


# ---------------------------------------------------------------------------- eval


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluate import evaluate, load_questions

    try:
        questions = load_questions(Path(args.questions))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the questions: {exc}") from exc
    service = make_service(args)
    if service.kb.is_empty():
        raise UsageError("the knowledge base is empty; add the articles first with `newsbot index add`")
    service.embedder.load()  # latency is measured as the bot answers: warm, on the full model
    service.ask("warm-up question", top_k=args.top_k)
    update, close = progress_bar("questions", unit="question")
    try:
        report = evaluate(lambda q: service.ask(q, top_k=args.top_k), questions, progress=update)
    finally:
        close()
    if args.details:
        Path(args.details).write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
    if args.json:
        emit_json(report.metrics())
    else:
        print(report.table())
    return EXIT_OK


# ---------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    common = NewsbotArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="knowledge base folder (default: $NEWSBOT_DATA_DIR, else ~/.local/share/newsbot)")
    json_flag = NewsbotArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print machine-readable JSON")

    parser = NewsbotArgumentParser(prog="newsbot", parents=[common],
                                   description="Answers questions about news articles, quoting them word for word.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=NewsbotArgumentParser)

    ask = commands.add_parser("ask", parents=[common, json_flag], help="answer a question from the articles")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--top-k", type=int, default=10, help="passages to retrieve (default 10)")
    ask.add_argument("--batch", metavar="FILE", help="JSONL of {\"question\", \"id\"}: one JSON answer per line")
    ask.set_defaults(handler=cmd_ask)

    evaluation = commands.add_parser("eval", parents=[common, json_flag],
                                     help="score retrieval and answers against questions with gold evidence")
    evaluation.add_argument("--questions", required=True, metavar="FILE", help="MultiHop-RAG style JSONL")
    evaluation.add_argument("--top-k", type=int, default=10)
    evaluation.add_argument("--details", metavar="FILE", help="also write every question's result as JSON")
    evaluation.set_defaults(handler=cmd_eval)

    companies = commands.add_parser("companies", parents=[common, json_flag],
                                    help="companies in the articles, with aliases and counts")
    companies.set_defaults(handler=cmd_companies)
    company = commands.add_parser("company", parents=[common, json_flag],
                                  help="what the articles say about one company, quoted")
    company.add_argument("name")
    company.set_defaults(handler=cmd_company)
    run = commands.add_parser("run", parents=[common], help="start the Discord bot (token from DISCORD_TOKEN)")
    run.set_defaults(handler=cmd_run)
    doctor = commands.add_parser("doctor", parents=[common, json_flag],
                                 help="check the config, token, model and knowledge base, and say what to fix")
    doctor.set_defaults(handler=cmd_doctor)

    index = commands.add_parser("index", parents=[common], help="manage the knowledge base")
    index_commands = index.add_subparsers(dest="index_command", required=True, parser_class=NewsbotArgumentParser)
    add = index_commands.add_parser("add", parents=[common, json_flag],
                                    help="add article files, folders or web pages (http:// or https://)")
    add.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    add.set_defaults(handler=cmd_index_add)
    listing = index_commands.add_parser("list", parents=[common, json_flag], help="list the articles")
    listing.set_defaults(handler=cmd_index_list)
    show = index_commands.add_parser("show", parents=[common, json_flag], help="show one article")
    show.add_argument("id")
    show.set_defaults(handler=cmd_index_show)
    remove = index_commands.add_parser("remove", parents=[common, json_flag], help="remove one article")
    remove.add_argument("id")
    remove.set_defaults(handler=cmd_index_remove)
    rebuild = index_commands.add_parser("rebuild", parents=[common, json_flag],
                                        help="re-derive chunks and vectors from the stored article text")
    rebuild.set_defaults(handler=cmd_index_rebuild)
    enrich = index_commands.add_parser("enrich", parents=[common, json_flag],
                                       help="extract companies from articles indexed before that existed")
    enrich.set_defaults(handler=cmd_index_enrich)
    export = index_commands.add_parser("export", parents=[common, json_flag],
                                       help="write every article with its vectors to a file (either backend)")
    export.add_argument("file")
    export.set_defaults(handler=cmd_index_export)
    imported = index_commands.add_parser("import", parents=[common, json_flag],
                                         help="read an export: copied as is into the cluster, re-derived "
                                              "into the embedded store")
    imported.add_argument("file")
    imported.set_defaults(handler=cmd_index_import)
    add_feed_commands(commands, common, json_flag)
    return parser


def add_feed_commands(commands, common: argparse.ArgumentParser, json_flag: argparse.ArgumentParser) -> None:
    feed = commands.add_parser("feed", parents=[common], help="follow RSS, Atom and JSON feeds")
    feed_commands = feed.add_subparsers(dest="feed_command", required=True, parser_class=NewsbotArgumentParser)
    add = feed_commands.add_parser("add", parents=[common, json_flag], help="follow a feed")
    add.add_argument("url")
    add.add_argument("--name", help="a name for the feed (default: its title)")
    add.set_defaults(handler=cmd_feed_add)
    listing = feed_commands.add_parser("list", parents=[common, json_flag], help="the followed feeds and their state")
    listing.set_defaults(handler=cmd_feed_list)
    remove = feed_commands.add_parser("remove", parents=[common, json_flag], help="stop following a feed")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=cmd_feed_remove)
    poll = feed_commands.add_parser("poll", parents=[common, json_flag],
                                    help="index the feeds' new entries, every NEWSBOT_FEED_INTERVAL minutes")
    poll.add_argument("--once", action="store_true", help="one round, then exit (for cron)")
    poll.add_argument("--all", action="store_true", help="also poll the feeds backing off after failures")
    poll.set_defaults(handler=cmd_feed_poll)


def main(argv: Sequence[str] | None = None) -> int:
    from index.store import KnowledgeBaseError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "top_k", 10) < 1 or getattr(args, "top_k", 10) > 50:
            raise UsageError("--top-k must be between 1 and 50")
        return args.handler(args)
    except UsageError as exc:
        say(f"error: {exc}")
        return EXIT_USAGE
    except KnowledgeBaseError as exc:
        say(f"error: {exc}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:  # e.g. `newsbot index list | head`: the reader left, nothing to report
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("NEWSBOT_DEBUG"):
            raise
        say(f"error: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
