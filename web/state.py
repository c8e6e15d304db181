"""What every request handler shares: settings, the stores, the database, the background processor, image links."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker

from prescreen.settings import AppSettings
from storage.objects import ObjectStore
from storage.repository import Repository
from web.images import ImageLinks
from web.processing import Processor
from web.settings import WebSettings


@dataclass(frozen=True)
class Workbench:
    settings: AppSettings
    web: WebSettings
    repo: Repository
    store: ObjectStore
    db: sessionmaker
    processor: Processor
    templates: Jinja2Templates
    images: ImageLinks  # presigned page-image URLs, when browsers can reach the store


def workbench(request: Request) -> Workbench:
    return request.app.state.workbench
