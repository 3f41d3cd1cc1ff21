"""Settings, by what they change: each setting of bot/config.py is set and the behaviour it
names is observed (through the service or the CLI, with the real model and store); a bad
value is one line naming the variable, exit 2, and nothing written. Settings whose behaviour
lives in another face or backend are tested there (see SETTING_TESTS at the end, which the
last test keeps complete)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings, SettingsError, load_settings
from bot.service import NewsService, QuestionError
from index.embedding import Embedder, ModelUnavailableError
from tests.conftest import TEST_ARTICLES, settings_for

QUESTION = "Did Hyundai confirm the plant deal?"  # 35 characters
OTHER_MODEL = "sentence-transformers/paraphrase-MiniLM-L3-v2"  # not bundled


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- where values come from


def test_environment_overrides_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text('top_k = 7\nrate_limit_per_minute = 3\nanswer_channels = [42]\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    monkeypatch.setenv("NEWSBOT_TOP_K", "4")
    settings = Settings()
    assert settings.top_k == 4 and settings.rate_limit_per_minute == 3 and settings.answer_channels == [42]


def test_a_value_from_the_config_file_changes_behaviour(seeded_dir: Path, tmp_path: Path, capsys,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text("top_k = 2\n")
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    code, out, err = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION, "--json")
    assert code == 0, err
    assert len(json.loads(out)["passages"]) == 2


def test_token_is_secret_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token-value")
    settings = Settings()
    assert settings.discord_token.get_secret_value() == "super-secret-token-value"
    assert "super-secret-token-value" not in repr(settings) and "super-secret-token-value" not in str(settings)


# ----------------------------------------------------------------------------- bad values


BAD_VALUES = [
    ("NEWSBOT_TOP_K", "lots", "NEWSBOT_TOP_K='lots': Input should be a valid integer"),
    ("NEWSBOT_TOP_K", "51", "NEWSBOT_TOP_K='51': Input should be less than or equal to 50"),
    ("NEWSBOT_PRECISION", "fp16", "NEWSBOT_PRECISION='fp16': Input should be 'auto', 'float32' or 'bfloat16'"),
    ("NEWSBOT_VECTOR_INDEX", "hnsw", "NEWSBOT_VECTOR_INDEX='hnsw': Input should be"),
    ("NEWSBOT_EMBED_BATCH_SIZE", "0", "NEWSBOT_EMBED_BATCH_SIZE='0': Input should be greater than or equal to 1"),
    ("NEWSBOT_FETCH_TIMEOUT", "-1", "NEWSBOT_FETCH_TIMEOUT='-1': Input should be greater than 0"),
    ("NEWSBOT_ANSWER_CHANNELS", "[1, x", "NEWSBOT_ANSWER_CHANNELS: not a valid JSON list"),
    ("NEWSBOT_SHARD_IDS", "zero", "NEWSBOT_SHARD_IDS='zero': Input should be a valid list"),
    ("NEWSBOT_THREAD_MODE", "sometimes", "NEWSBOT_THREAD_MODE='sometimes': Input should be a valid boolean"),
    ("NEWSBOT_CONFIG", "/nonexistent/newsbot.toml", "NEWSBOT_CONFIG=/nonexistent/newsbot.toml: not a file"),
]


@pytest.mark.parametrize(("variable", "value", "message"), BAD_VALUES, ids=[f"{v}={x}" for v, x, _ in BAD_VALUES])
def test_a_bad_value_is_one_line_naming_the_variable_and_exit_2(variable: str, value: str, message: str,
                                                                tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(variable, value)
    data_dir = tmp_path / "kb"
    code, out, err = run_cli(capsys, "--data-dir", str(data_dir), "ask", QUESTION)
    assert code == 2 and out == ""
    assert err.startswith("newsbot: error: bad setting: ") and err.count("\n") == 1, err
    assert message in err, err
    assert not data_dir.exists(), "a bad setting must change nothing"


def test_a_config_file_that_is_not_toml_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = \n")
    monkeypatch.setenv("NEWSBOT_CONFIG", str(bad))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"NEWSBOT_CONFIG={bad}: not valid TOML") and "\n" not in str(raised.value)


# ----------------------------------------------------------------------------- knowledge base and questions


def test_data_dir_from_the_environment_and_the_flag_that_overrides_it(seeded_dir: Path, tmp_path: Path, capsys,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(seeded_dir))
    code, out, _ = run_cli(capsys, "index", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 8
    code, out, _ = run_cli(capsys, "--data-dir", str(tmp_path / "other"), "index", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_seeds_dir_is_what_the_first_question_indexes(tmp_path: Path, embedder: Embedder) -> None:
    seeds = tmp_path / "my-seeds"
    seeds.mkdir()
    (seeds / "ferry.txt").write_text("Harbour ferry gets new routes\nSource: Test Wire\nId: seed-ferry\n\n"
                                     "The harbour ferry operator confirmed three new routes on Monday.\n")
    notes: list[str] = []
    service = NewsService(Settings(data_dir=tmp_path / "kb", seeds_dir=seeds), embedder=embedder)
    try:
        answer = service.ask("Did the ferry operator confirm new routes?", seed_if_empty=notes.append)
        assert [row.id for row in service.list_articles()] == ["seed-ferry"]
        assert notes and str(seeds) in notes[0]
        assert {q.article_id for q in answer.quotes} == {"seed-ferry"}
    finally:
        service.close()


def test_a_seeds_dir_that_does_not_exist_indexes_nothing(tmp_path: Path, embedder: Embedder) -> None:
    service = NewsService(Settings(data_dir=tmp_path / "kb", seeds_dir=tmp_path / "none"), embedder=embedder)
    try:
        assert service.ensure_seeded() is None and service.is_empty()
    finally:
        service.close()


def test_max_question_chars_is_the_longest_question_taken(service: NewsService, seeded_dir: Path,
                                                          embedder: Embedder) -> None:
    strict = NewsService(settings_for(seeded_dir, max_question_chars=34), embedder=embedder)
    exact = NewsService(settings_for(seeded_dir, max_question_chars=35), embedder=embedder)
    try:
        with pytest.raises(QuestionError, match="the question is 35 characters long; the limit is 34"):
            strict.ask(QUESTION)
        assert exact.ask(QUESTION).quotes
        assert service.ask(QUESTION + " " * 3000).quotes  # whitespace is collapsed before counting
    finally:
        strict.close()
        exact.close()


def test_top_k_is_the_number_of_passages_and_bounds_where_quotes_come_from(
        seeded_dir: Path, embedder: Embedder) -> None:
    answers = {}
    for top_k in (1, 4, 10):
        service = NewsService(settings_for(seeded_dir, top_k=top_k), embedder=embedder)
        try:
            answers[top_k] = service.ask(QUESTION).to_dict()
        finally:
            service.close()
    assert [len(answers[k]["passages"]) for k in (1, 4, 10)] == [1, 4, 9]  # the base holds 9 chunks
    [only] = answers[1]["passages"]
    assert answers[1]["quotes"] and {q["article_id"] for q in answers[1]["quotes"]} == {only["article_id"]}


def test_lock_timeout_is_how_long_a_writer_waits(seeded_dir: Path, embedder: Embedder) -> None:
    from index.store import KnowledgeBaseError
    from tests.reliability.lock_holder import hold_writer_lock, release

    service = NewsService(settings_for(seeded_dir, lock_timeout=0.5), embedder=embedder)
    holder = hold_writer_lock(seeded_dir, 300)
    try:
        with pytest.raises(KnowledgeBaseError, match="another newsbot process is changing this knowledge base"):
            service.add_paths([TEST_ARTICLES / "harbor-bridge-toll.md"])
        gave_up_while_held = holder.poll() is None
    finally:
        assert release(holder)
        service.close()
    assert gave_up_while_held  # it gave up after its 0.5 s, not when the writer let go


def test_the_vector_index_setting_reaches_the_knowledge_base(seeded_dir: Path, embedder, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_VECTOR_INDEX", "ivf-sq8")
    service = NewsService(settings_for(seeded_dir, vector_index="flat"), embedder=embedder)
    try:
        kb = service.open_kb()
        assert kb.vector_policy == "flat"  # the setting, not the process environment
        for path in seeded_dir.glob("vectors*"):
            path.unlink()  # no checkpoint: the index is built with the policy from the settings
        with kb.reader():
            assert kb._vectors.policy == "flat"
    finally:
        service.close()


# ----------------------------------------------------------------------------- the model


def test_model_is_the_one_the_knowledge_base_is_checked_against(seeded_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NEWSBOT_MODEL", OTHER_MODEL)
    code, _, err = run_cli(capsys, "--data-dir", str(seeded_dir), "ask", QUESTION)
    assert code == 1 and OTHER_MODEL in err and "newsbot index rebuild" in err and err.count("\n") == 1


@pytest.mark.parametrize("allowed", [False, True])
def test_allow_model_download_decides_whether_a_hub_model_is_tried(allowed: bool, tmp_path: Path) -> None:
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE, "the tests run offline (tests/conftest.py): nothing is fetched"
    service = NewsService(Settings(data_dir=tmp_path / "kb", model=OTHER_MODEL, allow_model_download=allowed))
    with pytest.raises(ModelUnavailableError) as raised:
        service.encode_with_full_model(["a sentence"])
    refused_by_newsbot = "downloads are off: set NEWSBOT_ALLOW_MODEL_DOWNLOAD=1" in str(raised.value)
    assert refused_by_newsbot == (not allowed)  # allowed: the hub itself was asked (and is offline here)


@pytest.mark.parametrize(("precision", "bfloat16"), [("float32", False), ("bfloat16", True)])
def test_precision_sets_the_forward_pass_dtype(precision: str, bfloat16: bool, tmp_path: Path) -> None:
    service = NewsService(Settings(data_dir=tmp_path / "kb", precision=precision))
    assert service.embedder.use_bfloat16 is bfloat16


def test_auto_precision_follows_the_cpu(tmp_path: Path) -> None:
    from index.embedding import cpu_supports_bfloat16

    service = NewsService(Settings(data_dir=tmp_path / "kb", precision="auto"))
    assert service.embedder.use_bfloat16 is cpu_supports_bfloat16()


def embedding_batches(service: NewsService) -> list[int]:
    """The windows of each forward pass of an add (the progress callback counts them)."""
    seen = [0]
    steps: list[int] = []

    def progress(done: int, total: int) -> None:
        if done > seen[0]:
            steps.append(done - seen[0])
        seen[0] = done

    outcome = service.add_paths([TEST_ARTICLES], progress=progress)
    assert outcome.ok and outcome.report.chunks_added == sum(steps)
    return steps


def test_embed_batch_size_is_the_windows_per_forward_pass(tmp_path: Path, embedder: Embedder) -> None:
    small = NewsService(Settings(data_dir=tmp_path / "small", embed_batch_size=3))
    default = NewsService(Settings(data_dir=tmp_path / "default"), embedder=embedder)
    try:
        small_steps, default_steps = embedding_batches(small), embedding_batches(default)
    finally:
        small.close()
        default.close()
    assert max(small_steps) == 3 and len(small_steps) > len(default_steps)
    assert max(default_steps) > 3


# ----------------------------------------------------------------------------- every setting has its test

# The test function that shows each setting's behaviour (found by name anywhere under tests/,
# so the list survives tests moving). Settings of the Discord face, the fetcher, feeds and the
# cluster backend are tested where that behaviour lives.
BAD_URLS_TEST = "test_every_bad_url_is_rejected_with_its_reason_and_the_base_is_unchanged"  # tests/bot/test_cli.py
SETTING_TESTS = {
    "data_dir": "test_data_dir_from_the_environment_and_the_flag_that_overrides_it",
    "seeds_dir": "test_seeds_dir_is_what_the_first_question_indexes",
    "model": "test_model_is_the_one_the_knowledge_base_is_checked_against",
    "allow_model_download": "test_allow_model_download_decides_whether_a_hub_model_is_tried",
    "embed_batch_size": "test_embed_batch_size_is_the_windows_per_forward_pass",
    "precision": "test_precision_sets_the_forward_pass_dtype",
    "top_k": "test_top_k_comes_from_the_setting_and_the_flag_overrides_it",          # tests/bot/test_cli.py
    "lock_timeout": "test_lock_timeout_is_how_long_a_writer_waits",
    "vector_index": "test_the_vector_index_setting_reaches_the_knowledge_base",
    "max_question_chars": "test_max_question_chars_is_the_longest_question_taken",
    "discord_token": "test_run_without_a_token_is_one_line_and_exit_2",               # tests/bot/test_cli.py
    "discord_api_base": "test_a_bot_that_cannot_reach_discord_fails_in_one_line_without_the_token",  # test_security
    "discord_gateway": "test_the_image_commands_work_outside_docker",                 # test_deploy (the double)
    "admin_role": "test_the_configured_admin_role_may_manage_articles",               # the Discord face's tests
    "thread_mode": "test_thread_mode_answers_in_a_new_thread",
    "answer_channels": "test_answer_channels_take_every_message_as_a_question",
    "rate_limit_per_minute": "test_the_bot_applies_its_configured_limit_to_a_burst",  # test_security
    "max_attachment_bytes": "test_uploads_are_checked_for_type_and_size",
    "log_level": "test_the_image_commands_work_outside_docker",                       # DEBUG lines, no token
    "feed_interval": "test_a_failing_feed_keeps_its_state_backs_off_and_shows_its_error",  # interval x 2 a failure
    "announce_channel": "test_a_followed_feed_is_polled_in_the_background_and_announced",  # tests/e2e
    "fetch_allow_hosts": BAD_URLS_TEST,
    "fetch_timeout": BAD_URLS_TEST,
    "fetch_max_bytes": BAD_URLS_TEST,
    "database_url": "test_the_cluster_needs_both_settings_and_says_which_is_missing",
    "milvus_uri": "test_the_cluster_needs_both_settings_and_says_which_is_missing",
    "shard_count": "test_each_process_identifies_as_its_own_shard",
    "shard_ids": "test_each_process_identifies_as_its_own_shard",
}


def test_every_setting_has_a_behaviour_test_named() -> None:
    import re

    from tests.conftest import REPO

    assert set(SETTING_TESTS) == set(Settings.model_fields)
    defined = {m.group(1) for path in (REPO / "tests").rglob("test_*.py")
               for m in re.finditer(r"^(?:async )?def (test_\w+)\(", path.read_text(), re.MULTILINE)}
    missing = {setting: name for setting, name in SETTING_TESTS.items() if name not in defined}
    assert not missing, f"these settings name a test that does not exist: {missing}"


def test_a_bad_setting_leaves_an_existing_knowledge_base_unchanged(seeded_dir: Path, tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    from tests.reliability.kbcheck import fingerprint

    article = tmp_path / "new.txt"
    article.write_text("A new story\n\nSomething happened on Monday, the council said.\n")
    before = fingerprint(seeded_dir)
    monkeypatch.setenv("NEWSBOT_EMBED_BATCH_SIZE", "many")
    code, _, err = run_cli(capsys, "--data-dir", str(seeded_dir), "index", "add", str(article))
    assert code == 2 and "NEWSBOT_EMBED_BATCH_SIZE='many'" in err
    assert fingerprint(seeded_dir) == before
