"""Workbench settings (env prefix `PRESCREEN_`), read once when the app is made; insecure defaults refused in production."""
from __future__ import annotations

import logging
from enum import StrEnum

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEFAULT_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - the value production refuses
MIN_SECRET_CHARS = 32


class Env(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettings(RuntimeError):
    """The server refuses to start: a production setting is left at an insecure default."""


class WebSettings(BaseSettings):
    """e.g. PRESCREEN_ENV=production, PRESCREEN_SECRET_KEY=…, PRESCREEN_SESSION_HOURS=8."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_", frozen=True, extra="ignore")

    env: Env = Env.DEVELOPMENT
    # Keys the hashes of session cookies and API tokens (a stolen table alone verifies nothing) and CSRF
    # tokens. Changing it signs everyone out and invalidates every API token.
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    session_hours: float = Field(8.0, gt=0)
    cookie_secure: bool | None = None  # None: Secure cookies in production only (behind TLS)
    login_max_failures: int = Field(5, ge=1)  # per username, within the window
    login_max_failures_per_ip: int = Field(20, ge=1)
    login_window_s: int = Field(900, ge=1)
    upload_workers: int = Field(1, ge=1)  # background threads submitting packages (embedded default: processing too)

    @property
    def secure_cookies(self) -> bool:
        return self.env is Env.PRODUCTION if self.cookie_secure is None else self.cookie_secure

    def checked(self) -> WebSettings:
        """Self, once start-up may go on: production refuses the default or a short secret key."""
        secret = self.secret_key.get_secret_value()
        weak = secret == DEFAULT_SECRET or len(secret) < MIN_SECRET_CHARS
        if self.env is Env.PRODUCTION and weak:
            raise InsecureSettings(
                "生产模式下必须设置 PRESCREEN_SECRET_KEY（至少32个字符的随机值） / PRESCREEN_ENV=production "
                f"needs PRESCREEN_SECRET_KEY set to a random value of at least {MIN_SECRET_CHARS} characters")
        if weak:
            log.warning("PRESCREEN_SECRET_KEY is unset or short: fine for development, refused in production")
        return self
