"""The ``newsbot`` command: everything the bot does, in a terminal and in scripts. It parses
arguments, calls :class:`bot.service.NewsService` (which cleans questions and owns the
knowledge base) and prints; it holds no logic of its own.

Usage::

    newsbot ask "Did Hyundai confirm the plant deal?" [--json] [--top-k N]
    newsbot ask --batch questions.jsonl --json
    newsbot [--data-dir DIR] index add PATH_OR_URL... [--json]     # files, folders, http(s):// pages
    newsbot index list|show ID|remove ID|rebuild|enrich [--json]
    newsbot index export FILE | import FILE [--json]
    newsbot companies [--json]; newsbot company NAME [--json]
    newsbot feed add URL [--name N] [--json]; newsbot feed list [--json]; newsbot feed remove ID
    newsbot feed poll [--once] [--all] [--json]     # poll the feeds (forever, or one round)
    newsbot eval --questions FILE [--json]
    newsbot run                                   # the Discord bot; needs DISCORD_TOKEN
    newsbot doctor [--json]                       # what is wrong, and how to fix it

    from bot.cli import main
    exit_code = main(["--data-dir", "/tmp/kb", "index", "list", "--json"])

Exit codes: 0 success; 2 a usage or input error (a bad setting included); 1 anything else.
Errors are one line on stderr (set NEWSBOT_DEBUG=1 for the traceback of an unexpected one).
``--top-k`` defaults to NEWSBOT_TOP_K.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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


def emit(args: argparse.Namespace, value: object, text: Callable[[], str]) -> None:
    """``value`` as JSON with --json, else ``text()`` for people."""
    if args.json:
        emit_json(value)
    else:
        print(text())


# ---------------------------------------------------------------------------- helpers


def make_service(args: argparse.Namespace):
    """The service for these settings and ``--data-dir``; a bad setting is a UsageError."""
    from bot.config import SettingsError, load_settings
    from bot.service import NewsService

    overrides = {"data_dir": Path(args.data_dir)} if getattr(args, "data_dir", None) else {}
    try:
        return NewsService(load_settings(**overrides))
    except SettingsError as exc:
        raise UsageError(f"bad setting: {exc}") from exc


@contextlib.contextmanager
def file_errors(verb: str, path: str) -> Iterator[None]:
    """An OSError on ``path`` (missing, unwritable) becomes a one-line usage error."""
    try:
        yield
    except OSError as exc:
        raise UsageError(f"cannot {verb} {path}: {exc.strerror or exc}") from exc


def print_listing(args: argparse.Namespace, items: Sequence, to_dict: Callable, line: Callable, noun: str) -> int:
    """``index list`` and ``feed list``: a JSON array, or one line each and a count on stderr."""
    if args.json:
        emit_json([to_dict(item) for item in items])
    else:
        for item in items:
            print(line(item))
        print(f"{len(items)} {noun}", file=sys.stderr)
    return EXIT_OK


def report_removal(args: argparse.Namespace, item_id: object, removed: bool, missing: str, done: str) -> int:
    """``index remove`` and ``feed remove``: ``{"id", "removed"}`` with --json; an unknown id
    is a usage error (after the JSON line, so scripts always get one)."""
    if args.json:
        emit_json({"id": item_id, "removed": removed})
    if not removed:
        raise UsageError(missing)
    if not args.json:
        print(done)
    return EXIT_OK


@contextlib.contextmanager
def progress_bar(description: str, unit: str = "chunk") -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr, driven by (done, total) calls, closed when the block ends."""
    from tqdm import tqdm

    bar: dict[str, tqdm] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit=unit, file=sys.stderr,
                              mininterval=0.5 if sys.stderr.isatty() else 5.0, dynamic_ncols=True)
        bar["bar"].total = total
        bar["bar"].update(done - bar["bar"].n)  # update(), not refresh(): it honours mininterval in logs

    try:
        yield update
    finally:
        if "bar" in bar:
            bar["bar"].close()


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
    with progress_bar("embedding") as update:
        outcome = service.add_paths(paths, progress=update) if paths else None
        if urls:
            fetched = service.add_urls(urls, progress=update)
            outcome = outcome.merged(fetched) if outcome else fetched
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


def article_line(row) -> str:
    return f"{row.id}\t{(row.published_at or '')[:10]}\t{row.source}\t{row.title}"


def article_text(row) -> str:
    fields = (("id", row.id), ("source", row.source), ("published", row.published_at), ("url", row.url),
              ("author", row.author), ("file", row.origin))
    return "\n".join([row.title, *(f"{label}: {value}" for label, value in fields if value), "", row.body])


def cmd_index_list(args: argparse.Namespace) -> int:
    return print_listing(args, make_service(args).list_articles(), article_json, article_line, "articles")


def cmd_index_show(args: argparse.Namespace) -> int:
    row = make_service(args).get_article(args.id)
    if row is None:
        raise UsageError(f"no article with id {args.id!r} (see `newsbot index list`)")
    emit(args, article_json(row, with_body=True), lambda: article_text(row))
    return EXIT_OK


def cmd_index_remove(args: argparse.Namespace) -> int:
    return report_removal(args, args.id, make_service(args).remove_article(args.id),
                          f"no article with id {args.id!r} (see `newsbot index list`)", f"removed: {args.id}")


def cmd_index_enrich(args: argparse.Namespace) -> int:
    count = make_service(args).enrich()
    emit(args, {"enriched": count}, lambda: f"enriched {count} articles")
    return EXIT_OK


def cmd_index_rebuild(args: argparse.Namespace) -> int:
    service = make_service(args)
    with progress_bar("re-embedding") as update:
        report = service.rebuild(progress=update)
    emit(args, {"articles": len(report.added), "chunks": report.chunks_added, "seconds": round(report.seconds, 3)},
         lambda: f"rebuilt {len(report.added)} articles, {report.chunks_added} chunks in {report.seconds:.1f} s")
    return EXIT_OK


def cmd_index_export(args: argparse.Namespace) -> int:
    service = make_service(args)
    with file_errors("write", args.file):
        report = service.export_to(Path(args.file))
    emit(args, {"articles": report.articles, "chunks": report.chunks, "file": args.file},
         lambda: f"exported {report.articles} articles ({report.chunks} chunks) to {args.file}")
    return EXIT_OK


def cmd_index_import(args: argparse.Namespace) -> int:
    from bot.service import AddOutcome

    service = make_service(args)
    with file_errors("read", args.file):
        report = service.import_from(Path(args.file))
    emit(args, AddOutcome(report).to_dict(),
         lambda: f"imported {len(report.added)} articles, replaced {len(report.replaced)}, "
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
    from index.intake.feeds import FeedError
    from index.intake.fetch import FetchError

    service = make_service(args)
    try:
        feed = service.add_feed(args.url, args.name)
    except (FeedError, FetchError) as exc:
        say(f"error: cannot follow {args.url}: {exc}")
        return EXIT_FAILURE if getattr(exc, "retryable", False) else EXIT_USAGE
    emit(args, feed.to_dict(),
         lambda: f"following feed {feed.id}: {feed.name} ({feed.url}); `newsbot feed poll --once` indexes it now")
    return EXIT_OK


def cmd_feed_list(args: argparse.Namespace) -> int:
    return print_listing(args, make_service(args).list_feeds(), lambda f: f.to_dict(), feed_line, "feeds")


def cmd_feed_remove(args: argparse.Namespace) -> int:
    return report_removal(args, args.id, make_service(args).remove_feed(args.id),
                          f"no feed with id {args.id} (see `newsbot feed list`)",
                          f"removed feed {args.id} (its articles stay indexed)")


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
    try:  # the raw text: the service cleans it, and refuses it before seeding anything
        answer = service.ask(args.question, top_k=args.top_k, seed_if_empty=say)
    except QuestionError as exc:
        raise UsageError(str(exc)) from exc
    emit(args, answer.to_dict(), lambda: answer_text(answer))
    return EXIT_OK


# Questions are read this many at a time. While one group is answered, the next group's
# search texts are encoded on a second thread (NewsService.prepare): encoding is most of a
# question's time, and numpy's products leave the other core free for answering.
BATCH_GROUP = 32
# The full model takes about 13 s to load in the CLI, then encodes ahead at about 27 ms a
# question (torch leaves the other thread the interpreter); the light encoder needs none of
# that load but about 85 ms a question here (100 MultiHop dev questions, 2 cores, quiet:
# 9.7 s light, 16.0 s full; 300: 21.5 s full). Past a few hundred questions the load pays.
FULL_MODEL_BATCH = 250


def ask_batch(service, path: Path, args: argparse.Namespace) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    service.ensure_seeded(notify=say)
    numbered = [(number, read_batch_line(line)) for number, line in enumerate(lines, start=1) if line.strip()]
    if len(numbered) >= FULL_MODEL_BATCH:
        service.load_model()
    groups = [numbered[at:at + BATCH_GROUP] for at in range(0, len(numbered), BATCH_GROUP)]
    status = EXIT_OK
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode-ahead") as ahead:
        encoded: Future | None = None  # the first group encodes its own questions as they are asked
        for number, group in enumerate(groups):
            if encoded is not None:
                encoded.result()  # this group's texts are ready (and an error in encoding surfaces)
            if number + 1 < len(groups):
                encoded = ahead.submit(service.prepare, [item["question"] for _, item in groups[number + 1]
                                                         if "error" not in item])
            status = max(status, answer_batch_group(service, group, args))
    return status


def answer_batch_group(service, group: list[tuple[int, dict]], args: argparse.Namespace) -> int:
    """Answers and prints one group of batch lines; EXIT_USAGE when a line was bad."""
    status = EXIT_OK
    for number, item in group:
        result = answer_batch_item(service, item, number, args)
        if isinstance(result, dict) and "error" in result:
            status = EXIT_USAGE
        if args.json or isinstance(result, dict):
            emit_json(result)
        else:
            from bot.render import answer_text

            print(answer_text(result), end="\n\n")
    return status


def read_batch_line(line: str) -> dict:
    """One batch line as its object, or ``{"error": why}`` when it is not one with a question."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": exc.msg}
    if not isinstance(item, dict) or "question" not in item:
        return {"error": "each line must be an object with a \"question\"",
                "id": item.get("id") if isinstance(item, dict) else None}
    return item


def answer_batch_item(service, item: dict, number: int, args: argparse.Namespace):
    """The answer to one batch line (a dict with its id under --json), or the error as a dict."""
    from bot.service import QuestionError

    if "error" in item:
        return {"id": item.get("id"), "line": number, "error": item["error"]}
    try:
        answer = service.ask(item["question"], top_k=args.top_k)
    except QuestionError as exc:
        return {"id": item.get("id"), "line": number, "error": str(exc)}
    return {"id": item.get("id"), **answer.to_dict()} if args.json else answer


# ---------------------------------------------------------------------------- companies


def cmd_companies(args: argparse.Namespace) -> int:
    from bot.render import companies_text

    service = make_service(args)
    service.ensure_seeded(notify=say)
    listings = service.companies()
    emit(args, [asdict(c) for c in listings], lambda: companies_text(listings))
    return EXIT_OK


def cmd_company(args: argparse.Namespace) -> int:
    from bot.render import company_text

    name = " ".join(args.name.split())
    if not name or len(name) > 200:
        raise UsageError("give a company name of 1 to 200 characters")
    service = make_service(args)
    service.ensure_seeded(notify=say)
    summary = service.company_summary(name)
    emit(args, summary.to_dict(), lambda: company_text(summary))
    return EXIT_OK


# ---------------------------------------------------------------------------- discord


def cmd_run(args: argparse.Namespace) -> int:
    service = make_service(args)
    if service.settings.discord_token is None or not service.settings.discord_token.get_secret_value().strip():
        raise UsageError("DISCORD_TOKEN is not set: put the bot's token in the environment "
                         "(or run `newsbot ask ...` to use newsbot without Discord)")
    from bot.chat.run import run_bot

    return run_bot(service)


# ---------------------------------------------------------------------------- doctor


def cmd_doctor(args: argparse.Namespace) -> int:
    from bot.doctor import run_checks

    try:
        service = make_service(args)
    except UsageError:  # the settings do not load: the doctor reports that as its first check
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
    if service.is_empty():
        raise UsageError("the knowledge base is empty; add the articles first with `newsbot index add`")
    service.warm_up()  # latency is measured as the bot answers: warm, on the full model
    with progress_bar("questions", unit="question") as update:
        report = evaluate(lambda q: service.ask(q, top_k=args.top_k), questions, progress=update)
    if args.details:
        with file_errors("write", args.details):
            Path(args.details).write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
    emit(args, report.metrics(), report.table)
    return EXIT_OK


# ---------------------------------------------------------------------------- parser


TOP_K_HELP = "passages to retrieve, 1 to 50 (default: NEWSBOT_TOP_K, else 10)"


def build_parser() -> argparse.ArgumentParser:
    common = NewsbotArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS,
                        help="knowledge base folder (default: $NEWSBOT_DATA_DIR, else ~/.local/share/newsbot)")
    json_flag = NewsbotArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print machine-readable JSON")

    parser = NewsbotArgumentParser(prog="newsbot", parents=[common],
                                   description="Answers questions about news articles, quoting them word for word.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=NewsbotArgumentParser)
    for add_group in (add_question_commands, add_index_commands, add_feed_commands, add_service_commands):
        add_group(commands, common, json_flag)
    return parser


def add_question_commands(commands, common: argparse.ArgumentParser, json_flag: argparse.ArgumentParser) -> None:
    """ask, eval, companies, company: reading the knowledge base."""
    ask = commands.add_parser("ask", parents=[common, json_flag], help="answer a question from the articles")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    ask.add_argument("--top-k", type=int, default=None, help=TOP_K_HELP)
    ask.add_argument("--batch", metavar="FILE", help="JSONL of {\"question\", \"id\"}: one JSON answer per line")
    ask.set_defaults(handler=cmd_ask)
    evaluation = commands.add_parser("eval", parents=[common, json_flag],
                                     help="score retrieval and answers against questions with gold evidence")
    evaluation.add_argument("--questions", required=True, metavar="FILE", help="MultiHop-RAG style JSONL")
    evaluation.add_argument("--top-k", type=int, default=None, help=TOP_K_HELP)
    evaluation.add_argument("--details", metavar="FILE", help="also write every question's result as JSON")
    evaluation.set_defaults(handler=cmd_eval)
    companies = commands.add_parser("companies", parents=[common, json_flag],
                                    help="companies in the articles, with aliases and counts")
    companies.set_defaults(handler=cmd_companies)
    company = commands.add_parser("company", parents=[common, json_flag],
                                  help="what the articles say about one company, quoted")
    company.add_argument("name")
    company.set_defaults(handler=cmd_company)


def add_index_commands(commands, common: argparse.ArgumentParser, json_flag: argparse.ArgumentParser) -> None:
    """index add|list|show|remove|rebuild|enrich|export|import: changing the knowledge base."""
    index = commands.add_parser("index", parents=[common], help="manage the knowledge base")
    index_commands = index.add_subparsers(dest="index_command", required=True, parser_class=NewsbotArgumentParser)
    add = index_commands.add_parser("add", parents=[common, json_flag],
                                    help="add article files, folders or web pages (http:// or https://)")
    add.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    add.set_defaults(handler=cmd_index_add)
    subcommands = (  # name, handler, positional argument, help
        ("list", cmd_index_list, None, "list the articles"),
        ("show", cmd_index_show, "id", "show one article"),
        ("remove", cmd_index_remove, "id", "remove one article"),
        ("rebuild", cmd_index_rebuild, None, "re-derive chunks and vectors from the stored article text"),
        ("enrich", cmd_index_enrich, None, "extract companies from articles indexed before that existed"),
        ("export", cmd_index_export, "file", "write every article with its vectors to a file (either backend)"),
        ("import", cmd_index_import, "file",
         "read an export: copied as is into the cluster, re-derived into the embedded store"),
    )
    for name, handler, positional, text in subcommands:
        command = index_commands.add_parser(name, parents=[common, json_flag], help=text)
        if positional:
            command.add_argument(positional)
        command.set_defaults(handler=handler)


def add_feed_commands(commands, common: argparse.ArgumentParser, json_flag: argparse.ArgumentParser) -> None:
    """feed add|list|remove|poll: following feeds."""
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


def add_service_commands(commands, common: argparse.ArgumentParser, json_flag: argparse.ArgumentParser) -> None:
    """run, doctor: the bot itself, and the installation's health."""
    run = commands.add_parser("run", parents=[common], help="start the Discord bot (token from DISCORD_TOKEN)")
    run.set_defaults(handler=cmd_run)
    doctor = commands.add_parser("doctor", parents=[common, json_flag],
                                 help="check the config, token, model and knowledge base, and say what to fix")
    doctor.set_defaults(handler=cmd_doctor)


def main(argv: Sequence[str] | None = None) -> int:
    from bot.config import debug_enabled
    from index.store import KnowledgeBaseError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "top_k", None) is not None and not 1 <= args.top_k <= 50:
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
        if debug_enabled():
            raise
        say(f"error: {type(exc).__name__}: {exc}")
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
