"""Settings: every one documented, environment over file over defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import REPO


def env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"NEWSBOT_{field.upper()}"


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [env_name(f) for f in Settings.model_fields if f"| `{env_name(f)}` |" not in readme]
    assert not missing, f"document these settings in README.md: {missing}"


def test_environment_overrides_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text('top_k = 7\nrate_limit_per_minute = 3\nanswer_channels = [42]\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    monkeypatch.setenv("NEWSBOT_TOP_K", "4")
    settings = Settings()
    assert settings.top_k == 4 and settings.rate_limit_per_minute == 3 and settings.answer_channels == [42]


def test_token_is_secret_in_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token-value")
    settings = Settings()
    assert settings.discord_token.get_secret_value() == "super-secret-token-value"
    assert "super-secret-token-value" not in repr(settings) and "super-secret-token-value" not in str(settings)


def test_the_vector_index_setting_reaches_the_knowledge_base(seeded_dir: Path, embedder, monkeypatch) -> None:
    from bot.service import NewsService
    from tests.conftest import settings_for

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
