"""Workbench settings (env prefix `PRESCREEN_`), read once when the app is made; insecure defaults refused in production."""
from __future__ import annotations

import logging
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEFAULT_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - the value production refuses
MIN_SECRET_CHARS = 32
MIN_METRICS_TOKEN_CHARS = 16


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
    # /metrics: with a token, a scrape must send `Authorization: Bearer <token>`; without one, only local scrapes
    # (a loopback peer, no forwarding headers) are answered. See web/routes_metrics.py.
    metrics_token: SecretStr | None = None
    # Where browsers reach the MinIO store, e.g. https://files.example.org: page images are then handed out as
    # presigned URLs signed for that address. Unset: the app sends the image bytes itself (web/images.py).
    minio_public_url: str | None = None

    @field_validator("metrics_token", "minio_public_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("minio_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not url.netloc or url.path not in ("", "/") or url.query:
            raise ValueError("PRESCREEN_MINIO_PUBLIC_URL must be http(s)://host[:port] (S3 presigned URLs have no "
                             "path prefix)")
        return f"{url.scheme}://{url.netloc}"

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
        token = self.metrics_token.get_secret_value() if self.metrics_token else None
        if self.env is Env.PRODUCTION and token is not None and len(token) < MIN_METRICS_TOKEN_CHARS:
            raise InsecureSettings(
                f"PRESCREEN_METRICS_TOKEN 至少需要{MIN_METRICS_TOKEN_CHARS}个字符 / PRESCREEN_METRICS_TOKEN needs at least "
                f"{MIN_METRICS_TOKEN_CHARS} characters in production")
        if weak:
            log.warning("PRESCREEN_SECRET_KEY is unset or short: fine for development, refused in production")
        return self
